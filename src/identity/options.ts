import { ConfigError } from '../errors.js';

/**
 * Options of an {@link IdentityGallery}. Every field is optional when passed to the constructor;
 * the defaults suit OSNet x0.25 embeddings of people seen by fixed surveillance cameras.
 */
export interface IdentityGalleryOptions {
  /**
   * Cosine similarity a track's appearance must reach to take an existing global id; below it
   * the track gets a new id.
   *
   * Raising it splits one person into several ids more often (a person seen from another
   * camera angle looks different); lowering it merges different people who dress alike.
   * For scale: with OSNet x0.25 on crops of one store seen from six angles, the same person
   * scored 0.51–0.86 across cameras while two different women with long dark hair and jeans
   * scored 0.80, so no threshold separated every pair; 0.85 made no false merge there.
   * Must lie in [0, 1].
   * @default 0.8
   */
  similarityThreshold: number;

  /**
   * Narrowest box (pixels, `x2 - x1`) whose embedding is trusted. Observations of narrower
   * boxes keep the track's id but do not change its appearance: tiny crops upscaled to the
   * ReID input size give embeddings that match anyone.
   * @default 16
   */
  minBoxWidth: number;

  /**
   * Shortest box (pixels, `y2 - y1`) whose embedding is trusted; see {@link minBoxWidth}.
   * @default 32
   */
  minBoxHeight: number;

  /**
   * Lowest detection score whose embedding is trusted. Low-score detections are often
   * occluded or cut by the frame edge, so their crops show other people or background.
   * @default 0.5
   */
  minDetectionScore: number;

  /**
   * Weight of a track's past appearance when a new trusted embedding arrives:
   * `smoothed = momentum · smoothed + (1 − momentum) · new`, then re-normalised (as BoT-SORT).
   * Higher values resist a few bad crops (occlusion, motion blur) but follow real changes
   * (turning round, taking off a jacket) slowly. Must lie in [0, 1).
   * @default 0.9
   */
  embeddingMomentum: number;

  /**
   * How many appearances of ended tracks each identity keeps. An identity is matched by the
   * best of its exemplars (one per contributing track, plus any reference embeddings), so a
   * person seen from several cameras stays recognisable from each of them. When a track ends
   * and the identity holds more ended-track exemplars than this, the least recently updated
   * one is dropped. Live tracks always keep their own exemplar. More exemplars widen the
   * match (better recall across views) and make each search proportionally slower.
   * @default 4
   */
  maxExemplarsPerIdentity: number;

  /**
   * Trusted observations after which a track is *confident*: only then may it switch from its
   * global id to another one (see {@link switchMargin}). A small value corrects a wrong first
   * guess sooner but lets a few unlucky crops move a track between people.
   * @default 5
   */
  confidentObservations: number;

  /**
   * Once confident, a track's id is reviewed at every this many trusted observations
   * (at `confidentObservations`, `confidentObservations + reevaluateEvery`, …). Each review
   * is one gallery search; smaller values react faster and cost more CPU.
   * @default 10
   */
  reevaluateEvery: number;

  /**
   * Hysteresis of the switch rule. At a review, a track moves to another identity only when
   * its similarity to that identity is at least `similarityThreshold + switchMargin` and at
   * least `switchMargin` above its similarity to its current identity. Larger margins mean
   * fewer, surer switches. Must lie in [0, 1].
   * @default 0.05
   */
  switchMargin: number;

  /**
   * Length of the embeddings (512 for the OSNet models). Every embedding given to the
   * gallery must have exactly this many values.
   * @default 512
   */
  embeddingDimension: number;

  /**
   * Exemplar rows allocated up front. Storage doubles when full, so this only avoids a few
   * early copies when the expected crowd is known.
   * @default 256
   */
  initialCapacity: number;
}

/** The defaults of every {@link IdentityGalleryOptions} field. */
export const DEFAULT_IDENTITY_GALLERY_OPTIONS: Readonly<IdentityGalleryOptions> = Object.freeze({
  similarityThreshold: 0.8,
  minBoxWidth: 16,
  minBoxHeight: 32,
  minDetectionScore: 0.5,
  embeddingMomentum: 0.9,
  maxExemplarsPerIdentity: 4,
  confidentObservations: 5,
  reevaluateEvery: 10,
  switchMargin: 0.05,
  embeddingDimension: 512,
  initialCapacity: 256,
});

type NumberRule = { min: number; max: number; maxExclusive?: boolean; integer?: boolean };

const RULES: Record<keyof IdentityGalleryOptions, NumberRule> = {
  similarityThreshold: { min: 0, max: 1 },
  minBoxWidth: { min: 0, max: Infinity },
  minBoxHeight: { min: 0, max: Infinity },
  minDetectionScore: { min: 0, max: 1 },
  embeddingMomentum: { min: 0, max: 1, maxExclusive: true },
  maxExemplarsPerIdentity: { min: 1, max: Infinity, integer: true },
  confidentObservations: { min: 1, max: Infinity, integer: true },
  reevaluateEvery: { min: 1, max: Infinity, integer: true },
  switchMargin: { min: 0, max: 1 },
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
    const wanted = `${rule.integer ? 'an integer' : 'a number'} ≥ ${rule.min}${rule.max === Infinity ? '' : ` and ${upper}`}`;
    const ok =
      typeof value === 'number' &&
      !Number.isNaN(value) &&
      value >= rule.min &&
      (rule.maxExclusive ? value < rule.max : value <= rule.max) &&
      (!rule.integer || Number.isInteger(value));
    if (!ok) {
      throw new ConfigError('INVALID_OPTION', `identity gallery option ${key} = ${String(value)} is invalid: it must be ${wanted}`, { culprit: key });
    }
    resolved[key] = value as number;
  }
  return resolved;
}
