/** Cross-camera identity: the global identity gallery and reference persons. */
export { IdentityGallery } from './gallery.js';
export { DEFAULT_IDENTITY_GALLERY_OPTIONS, resolveIdentityGalleryOptions, type IdentityGalleryOptions } from './options.js';
export { registerReferenceImages, type ImageEmbedder, type ReferenceImage } from './reference-persons.js';
export type * from './types.js';
