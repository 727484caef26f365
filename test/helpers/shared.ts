/**
 * Paths to the real models and media in ../shared. A missing file is a failure, never a skip:
 * in CI they are present, and a test that silently skipped would prove nothing.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const sharedDir = path.resolve(repoRoot, '..', 'shared');

function mustExist(p: string): string {
  if (!existsSync(p)) throw new Error(`required test fixture is missing: ${p} (expected ../shared beside the repository)`);
  return p;
}

/** Absolute path of a file under ../shared/media; throws when it is missing. */
export function media(relative: string): string {
  return mustExist(path.join(sharedDir, 'media', relative));
}

/** Directory holding the ONNX weights (MULTICAM_REID_MODELS or ../shared/models); throws when missing. */
export function modelsDir(): string {
  return mustExist(path.resolve(repoRoot, process.env.MULTICAM_REID_MODELS ?? path.join(sharedDir, 'models')));
}

/** Absolute path of one model file; throws when it is missing. */
export function modelFile(name: string): string {
  return mustExist(path.join(modelsDir(), name));
}

/** A fresh scratch directory under test-artifacts/ (git-ignored). */
export function artifactsDir(name: string): string {
  return path.join(repoRoot, 'test-artifacts', name);
}
