import { ConfigError } from '../errors.js';

/**
 * Options of an {@link IdentityGallery}. Every field is optional when passed to the constructor;
 * the defaults suit OSNet embeddings of people seen by fixed surveillance cameras.
 */
export interface IdentityGalleryOptions {
  /**
   * Cosine similarity a track's appearance must reach to take an existing global id; below it
   * the track gets a new id.
   *
   * Raising it splits one person into several ids more often (a person seen from another
   * camera angle looks different); lowering it merges different people who dress alike.
   * Similarities are between track descriptors (the mean of several good crops), which are
   * steadier than single crops. Must lie in [0, 1].
   * @default 0.8
   */
  similarityThreshold: number;

  /**
   * Good crops a track collects before its global id is decided. One crop is often spoilt by
   * blur, a turn or a passer-by; a few averaged give a descriptor that matches the right
   * person. Higher values decide later and surer (see {@link maxDeferSeconds}).
   * @default 3
   */
  minEvidence: number;

  /**
   * Longest a track waits for {@link minEvidence} good crops: after this many seconds (of the
   * job's clock) it is decided on what it has — with no good crop at all it gets a new id of
   * its own, matched again at its first good crop.
   * @default 1
   */
  maxDeferSeconds: number;

  /**
   * Narrowest box (pixels, `x2 - x1`) whose embedding is trusted, when the caller does not
   * judge the crop itself (`trusted` of the observation). Tiny crops upscaled to the ReID
   * input size give embeddings that match anyone.
   * @default 16
   */
  minBoxWidth: number;

  /**
   * Shortest box (pixels, `y2 - y1`) whose embedding is trusted; see {@link minBoxWidth}.
   * @default 32
   */
  minBoxHeight: number;

  /**
   * Lowest detection score whose embedding is trusted (when the caller does not judge the
   * crop). Low-score detections are often occluded or cut by the frame edge.
   * @default 0.5
   */
  minDetectionScore: number;

  /**
   * A track's descriptor is the mean of its first `1 / (1 − momentum)` good embeddings, then an
   * exponential average with this weight on the past (as BoT-SORT): higher values resist a
   * few bad crops, lower ones follow real changes (a jacket taken off) sooner. In [0, 1).
   * @default 0.9
   */
  embeddingMomentum: number;

  /**
   * Descriptors of ended tracks each identity keeps. An identity is matched by the best of
   * its exemplars (its tracks' descriptors and any reference embeddings), so a person seen by
   * several cameras stays recognisable from each. More exemplars widen the match and make
   * each search proportionally slower.
   * @default 4
   */
  maxExemplarsPerIdentity: number;

  /**
   * Good crops a track must have before it may switch to another identity (see {@link switchMargin}).
   * @default 5
   */
  confidentObservations: number;

  /**
   * Once confident, a track's id is reviewed at every this many good crops. Each review is
   * one gallery search; smaller values react faster and cost more CPU.
   * @default 10
   */
  reevaluateEvery: number;

  /**
   * Hysteresis of the switch rule: a track moves to another identity only when its similarity
   * to it is at least `similarityThreshold + switchMargin` and at least `switchMargin` above its
   * similarity to its current identity. In [0, 1].
   * @default 0.05
   */
  switchMargin: number;

  /**
   * Seconds (job clock) after which an identity no track has carried is forgotten: it leaves
   * the search and its memory is freed, so a camera running for days stays bounded. A person
   * coming back later gets a new id. Reference persons are never forgotten. `Infinity` keeps
   * identities until {@link maxIdentities} pushes them out.
   * @default 21600 (6 hours)
   */
  identityTtlSeconds: number;

  /**
   * Most identities kept at once; beyond it the least recently seen ones without a live track
   * are forgotten first. Each costs about `maxExemplarsPerIdentity` × 2 KB (512-d).
   * @default 5000
   */
  maxIdentities: number;

  /**
   * Length of the embeddings (512 for OSNet, 256 for retail-0287). Every embedding given to
   * the gallery must have exactly this many values.
   * @default 512
   */
  embeddingDimension: number;

  /**
   * Exemplar rows allocated up front. Storage doubles when full (and freed rows are reused
   * first), so this only avoids a few early copies when the expected crowd is known.
   * @default 256
   */
  initialCapacity: number;
}

/** The defaults of every {@link IdentityGalleryOptions} field. */
export const DEFAULT_IDENTITY_GALLERY_OPTIONS: Readonly<IdentityGalleryOptions> = Object.freeze({
  similarityThreshold: 0.8,
  minEvidence: 3,
  maxDeferSeconds: 1,
  minBoxWidth: 16,
  minBoxHeight: 32,
  minDetectionScore: 0.5,
  embeddingMomentum: 0.9,
  maxExemplarsPerIdentity: 4,
  confidentObservations: 5,
  reevaluateEvery: 10,
  switchMargin: 0.05,
  identityTtlSeconds: 21_600,
  maxIdentities: 5000,
  embeddingDimension: 512,
  initialCapacity: 256,
});

type NumberRule = { min: number; max: number; maxExclusive?: boolean; integer?: boolean; infinite?: boolean };

const RULES: Record<keyof IdentityGalleryOptions, NumberRule> = {
  similarityThreshold: { min: 0, max: 1 },
  minEvidence: { min: 1, max: 1000, integer: true },
  maxDeferSeconds: { min: 0, max: 3600 },
  minBoxWidth: { min: 0, max: Infinity },
  minBoxHeight: { min: 0, max: Infinity },
  minDetectionScore: { min: 0, max: 1 },
  embeddingMomentum: { min: 0, max: 1, maxExclusive: true },
  maxExemplarsPerIdentity: { min: 1, max: Infinity, integer: true },
  confidentObservations: { min: 1, max: Infinity, integer: true },
  reevaluateEvery: { min: 1, max: Infinity, integer: true },
  switchMargin: { min: 0, max: 1 },
  identityTtlSeconds: { min: 0, max: Infinity, infinite: true },
  maxIdentities: { min: 1, max: Infinity, integer: true, infinite: true },
  embeddingDimension: { min: 1, max: Infinity, integer: true },
  initialCapacity: { min: 1, max: Infinity, integer: true },
};

/** Merges `options` over the defaults and rejects out-of-range values with a {@link ConfigError}. */
export function resolveIdentityGalleryOptions(options: Partial<IdentityGalleryOptions> = {}): IdentityGalleryOptions {
  const resolved: IdentityGalleryOptions = { ...DEFAULT_IDENTITY_GALLERY_OPTIONS };
  for (const [key, value] of Object.entries(options) as Array<[keyof IdentityGalleryOptions, unknown]>) {
    if (value === undefined) continue;
    const rule = RULES[key];
    if (rule === undefined) {
      throw new ConfigError('INVALID_OPTION', `unknown identity gallery option "${key}"; known options: ${Object.keys(RULES).join(', ')}`, { culprit: key });
    }
    const upper = rule.maxExclusive ? `< ${rule.max}` : `≤ ${rule.max}`;
    const wanted = `${rule.integer ? 'an integer' : 'a number'} ≥ ${rule.min}${rule.max === Infinity ? '' : ` and ${upper}`}${rule.infinite ? ', or Infinity' : ''}`;
    const ok =
      typeof value === 'number' &&
      !Number.isNaN(value) &&
      value >= rule.min &&
      (rule.maxExclusive ? value < rule.max : value <= rule.max) &&
      (!rule.integer || Number.isInteger(value) || (rule.infinite === true && value === Infinity));
    if (!ok) {
      throw new ConfigError('INVALID_OPTION', `identity gallery option ${key} = ${String(value)} is invalid: it must be ${wanted}`, { culprit: key });
    }
    resolved[key] = value as number;
  }
  return resolved;
}
