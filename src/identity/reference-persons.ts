import { ConfigError } from '../errors.js';
import type { ImageView } from '../streams/frame.js';
import { decodeImageFile } from '../streams/image-file.js';
import type { IdentityGallery } from './gallery.js';

/** Anything that turns a whole image into one appearance embedding, such as `ReidEmbedder`. */
export interface ImageEmbedder {
  embedImage(image: ImageView): Promise<Float32Array>;
}

/** A photo of a known person: a tight crop of the whole body works best. */
export interface ReferenceImage {
  /** The person's name; tracks matching them carry it. Several photos may share one name. */
  name: string;
  /** Path of the image file (JPEG, PNG, anything ffmpeg decodes). */
  imagePath: string;
}

/**
 * Decodes each reference photo, embeds it whole with `embedder.embedImage` and registers the
 * embeddings with {@link IdentityGallery.registerReference}, one identity per distinct name.
 * Every file is decoded and embedded before anything is registered, so a bad file leaves the
 * gallery unchanged.
 *
 * @returns the global id of each name.
 * @throws ConfigError (`INVALID_OPTION`) for an empty list or a missing name, StreamError
 *   (`SOURCE_NOT_FOUND`, `INVALID_MEDIA`) for a missing or undecodable image.
 */
export async function registerReferenceImages(
  gallery: IdentityGallery,
  embedder: ImageEmbedder,
  references: ReferenceImage[],
): Promise<Map<string, number>> {
  if (!Array.isArray(references) || references.length === 0) {
    throw new ConfigError('INVALID_OPTION', 'registerReferenceImages(): give at least one { name, imagePath }', { culprit: 'references' });
  }
  references.forEach((reference, i) => {
    if (typeof reference?.name !== 'string' || reference.name.trim() === '') {
      throw new ConfigError('INVALID_OPTION', `registerReferenceImages(): reference ${i} (${String(reference?.imagePath)}) needs a non-empty name`, { culprit: `references[${i}].name` });
    }
    if (typeof reference.imagePath !== 'string' || reference.imagePath === '') {
      throw new ConfigError('INVALID_OPTION', `registerReferenceImages(): reference "${reference.name}" needs an imagePath`, { culprit: `references[${i}].imagePath` });
    }
  });
  const embeddingsByName = new Map<string, Float32Array[]>();
  for (const { name, imagePath } of references) {
    const image = await decodeImageFile(imagePath, { pixelFormat: 'rgb24' });
    const embedding = await embedder.embedImage(image);
    const list = embeddingsByName.get(name);
    if (list === undefined) embeddingsByName.set(name, [embedding]);
    else list.push(embedding);
  }
  const ids = new Map<string, number>();
  for (const [name, embeddings] of embeddingsByName) ids.set(name, gallery.registerReference(name, embeddings));
  return ids;
}
