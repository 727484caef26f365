/**
 * The simplest gallery of a distributed job: one {@link IdentityGallery} per job in each
 * worker process, shared by that job's cameras on this worker only. Global ids are then
 * consistent among the cameras one worker runs, not across workers (the shared gallery is).
 */
import { IdentityGallery } from '../identity/gallery.js';
import { registerReferenceImages } from '../identity/reference-persons.js';
import type { PipelineConfig } from '../pipeline/config.js';
import type { LoadedModels } from '../pipeline/pipeline.js';
import type { CameraAttempt, GalleryLease, GalleryProvider } from './camera-job.js';
import type { CameraJobData } from './job-data.js';

interface Held {
  gallery: Promise<IdentityGallery>;
  users: number;
}

export class PerWorkerGalleries implements GalleryProvider {
  private readonly held = new Map<string, Held>();

  async acquire(data: CameraJobData, _attempt: CameraAttempt, config: PipelineConfig, models: LoadedModels): Promise<GalleryLease> {
    if (models.embedder === undefined) return { release: async () => undefined };
    let held = this.held.get(data.jobId);
    if (held === undefined) {
      held = { gallery: this.create(data, config, models), users: 0 };
      this.held.set(data.jobId, held);
    }
    held.users++;
    const entry = held;
    const release = async () => {
      if (--entry.users === 0 && this.held.get(data.jobId) === entry) this.held.delete(data.jobId);
    };
    try {
      return { gallery: await entry.gallery, release };
    } catch (error) {
      await release();
      if (this.held.get(data.jobId) === entry) this.held.delete(data.jobId);
      throw error;
    }
  }

  private async create(data: CameraJobData, config: PipelineConfig, models: LoadedModels): Promise<IdentityGallery> {
    const gallery = new IdentityGallery({ embeddingDimension: models.embedder!.dimension, ...config.identity, similarityThreshold: data.similarityThreshold });
    const references = data.referencePersons.flatMap((p) => p.imagePaths.map((imagePath) => ({ name: p.name, imagePath })));
    if (references.length > 0) await registerReferenceImages(gallery, models.embedder!, references);
    return gallery;
  }
}
