/** Zone monitoring and counting lines: definitions, validation, geometry, membership and the per-camera monitor. */
export type {
  AnchorPoint,
  CameraZoneReport,
  CameraZoneSummary,
  LineCrossEvent,
  LineCrossing,
  LineDefinition,
  LineDirection,
  LineIdentityCount,
  LineReport,
  LinesByCamera,
  OpenZoneVisit,
  ZoneCoordinates,
  ZoneDefinition,
  ZoneEvent,
  ZoneExitReason,
  ZoneReport,
  ZonesByCamera,
  ZoneTotals,
  ZoneTrackInput,
  ZoneVisit,
} from './types.js';
export { linesForCamera, loadZonesFile, parseZones, zonesForCamera, type ParseZonesOptions } from './parse.js';
export { ZoneMonitor, type ZoneMonitorOptions, type ZoneMonitorStats } from './monitor.js';
export { pointInPolygon, positionAlongLine, signedDistanceToLine, toPixelPolygon, type Points } from './geometry.js';
export { zoneMembership, type PixelPolygon } from './membership.js';
