/** Zone monitoring: definitions, validation, geometry and the per-camera monitor. */
export type {
  CameraZoneReport,
  CameraZoneSummary,
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
export { loadZonesFile, parseZones, zonesForCamera, type ParseZonesOptions } from './parse.js';
export { ZoneMonitor, type ZoneMonitorOptions } from './monitor.js';
export { pointInPolygon, toPixelPolygon, type Points } from './geometry.js';
