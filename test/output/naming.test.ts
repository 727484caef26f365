import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/errors.js';
import {
  cameraFileNames, cameraFolderName, DEFAULT_TIME_ZONE, fileStamp, jobFolderName, validateTimeZone, zipName,
} from '../../src/output/naming.js';

const instant = new Date('2024-01-15T07:30:22.900Z');

test('default time zone is UTC+7, as the seed names its folders', () => {
  assert.equal(DEFAULT_TIME_ZONE, 'UTC+7');
  assert.equal(jobFolderName(instant), 'multi_stream_2024-01-15-14-30');
  assert.equal(fileStamp(instant), '20240115_143022', 'seconds are truncated, not rounded');
});

test('IANA names and fixed offsets give the same wall clock', () => {
  for (const zone of ['Asia/Ho_Chi_Minh', 'Asia/Bangkok', '+07:00', '+0700', '+7', 'UTC+7', 'utc+07:00', 'GMT+7']) {
    assert.equal(jobFolderName(instant, zone), 'multi_stream_2024-01-15-14-30', zone);
  }
  for (const zone of ['UTC', 'Z', 'Etc/UTC', '+00:00']) assert.equal(fileStamp(instant, zone), '20240115_073022', zone);
  assert.equal(fileStamp(instant, '-05:30'), '20240115_020022');
  assert.equal(fileStamp(instant, 'Asia/Kolkata'), '20240115_130022');
});

test('date lines, month ends and daylight saving time', () => {
  const nearMidnight = new Date('2023-12-31T17:05:00Z');
  assert.equal(jobFolderName(nearMidnight), 'multi_stream_2024-01-01-00-05', 'UTC+7 is already in the new year');
  assert.equal(jobFolderName(nearMidnight, 'America/New_York'), 'multi_stream_2023-12-31-12-05');
  assert.equal(fileStamp(new Date('2024-07-01T12:00:00Z'), 'Europe/Paris'), '20240701_140000', 'summer time');
  assert.equal(fileStamp(new Date('2024-01-01T12:00:00Z'), 'Europe/Paris'), '20240101_130000', 'winter time');
  assert.equal(fileStamp(new Date('2024-01-01T00:30:00Z'), 'UTC'), '20240101_003000', 'hour 0 is 00, not 24');
});

test('invalid time zones and dates are ConfigErrors naming the value', () => {
  for (const zone of ['Mars/Olympus', '+15:00', 'UTC+7:99', '', 'seven']) {
    assert.throws(() => jobFolderName(instant, zone), (e: unknown) => e instanceof ConfigError && e.code === 'INVALID_OPTION' && e.message.includes(`"${zone}"`), zone);
  }
  assert.throws(() => validateTimeZone('Nowhere/Land'), ConfigError);
  validateTimeZone('Asia/Ho_Chi_Minh');
  assert.throws(() => fileStamp(new Date('nope')), ConfigError);
});

test('zip, camera folder and file names', () => {
  assert.equal(zipName('multi_stream_2024-01-15-14-30'), 'multi_stream_2024-01-15-14-30_results.zip');
  assert.equal(zipName('outputs/multi_stream_2024-01-15-14-30/'), 'outputs/multi_stream_2024-01-15-14-30_results.zip');
  assert.throws(() => zipName('/'), ConfigError);
  assert.equal(cameraFolderName(2), 'camera_2');
  assert.throws(() => cameraFolderName(-1), ConfigError);
  assert.deepEqual(cameraFileNames('20240115_143022'), {
    video: 'output_20240115_143022.mp4', tracks: 'tracks_20240115_143022.csv', zones: 'zones_20240115_143022.json',
  });
});
