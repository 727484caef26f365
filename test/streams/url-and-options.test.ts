/**
 * Source parsing, option validation, ffmpeg argv building and banner parsing: everything that
 * must reject bad input before any process starts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, StreamError } from '../../src/errors.js';
import { buildFfmpegArgs, scaleFilter } from '../../src/streams/ffmpeg-args.js';
import { MultiStreamReader } from '../../src/streams/multi-stream-reader.js';
import { classifyFfmpegFailure, parseShowinfoLine, parseStreamBanner } from '../../src/streams/probe.js';
import { StreamReader } from '../../src/streams/stream-reader.js';
import { classifySource, parseStreamUrls } from '../../src/streams/url.js';
import { childFfmpegPids } from './helpers.js';

function rejectsUrl(input: string, reason: RegExp): void {
  assert.throws(
    () => parseStreamUrls(input),
    (error: unknown) => {
      assert.ok(error instanceof StreamError, `expected StreamError, got ${String(error)}`);
      assert.equal(error.code, 'INVALID_URL');
      assert.match(error.message, reason);
      return true;
    },
  );
}

test('parseStreamUrls splits on commas and newlines, trims and drops empties (seed example)', () => {
  assert.deepEqual(parseStreamUrls('udp://127.0.0.1:1905, udp://127.0.0.1:1906'), ['udp://127.0.0.1:1905', 'udp://127.0.0.1:1906']);
  assert.deepEqual(parseStreamUrls('\n udp://127.0.0.1:1905\r\n\n,, rtsp://192.168.1.100/stream ,\n'), ['udp://127.0.0.1:1905', 'rtsp://192.168.1.100/stream']);
  assert.deepEqual(parseStreamUrls('   '), []);
});

test('every supported scheme and local paths are accepted and classified', () => {
  const cases: Array<[string, string, boolean]> = [
    ['udp://127.0.0.1:1905', 'udp', true],
    ['rtsp://cam.local:8554/live', 'rtsp', true],
    ['rtsps://cam.local/live', 'rtsp', true],
    ['rtmp://server/app/key', 'rtmp', true],
    ['http://server/video.mp4', 'http', true],
    ['https://server/live/index.m3u8?token=1', 'hls', true],
    ['srt://server:9000', 'srt', true],
    ['file:///tmp/clip.mp4', 'file', false],
    ['videos/clip.mp4', 'file', false],
    ['/abs/clip.mp4', 'file', false],
  ];
  for (const [source, kind, live] of cases) {
    const info = classifySource(source);
    assert.equal(info.kind, kind, source);
    assert.equal(info.live, live, source);
  }
  // Local paths reach ffmpeg as file:/absolute so no name can be read as a protocol or option.
  assert.match(classifySource('concat:a.mp4|b.mp4'.replace('concat:', './concat:')).ffmpegInput, /^file:\//);
  assert.equal(classifySource('file:///tmp/a%20b.mp4').filePath, '/tmp/a b.mp4');
});

test('bad entries name the entry and the reason', () => {
  rejectsUrl('udp://127.0.0.1:1905, ftp://host/x.mp4', /"ftp:\/\/host\/x\.mp4".*unsupported scheme "ftp:"/);
  rejectsUrl('-i /etc/passwd', /"-i \/etc\/passwd".*begins with "-"/);
  rejectsUrl('  -re', /begins with "-"/);
  rejectsUrl('rtsp://', /no host/);
  rejectsUrl('udp://127.0.0.1', /no port/);
  rejectsUrl('udp://@:1905', /malformed URL/);
  rejectsUrl('rtsp:camera', /expected "rtsp:\/\/host/);
  rejectsUrl('concat:a.mp4|b.mp4', /unsupported scheme "concat:"/);
  rejectsUrl('clip\u0000.mp4', /control characters/);
  assert.throws(() => parseStreamUrls(42 as unknown as string), StreamError);
});

test('bad reader options fail in the constructor with INVALID_OPTION naming the option', () => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ bufferSize: 0 }, /bufferSize/],
    [{ bufferSize: -3 }, /bufferSize/],
    [{ bufferSize: 2.5 }, /bufferSize/],
    [{ pixelFormat: 'yuv420p' }, /pixelFormat/],
    [{ mode: 'stream' }, /mode/],
    [{ maxWidth: 1 }, /maxWidth/],
    [{ rtspTransport: 'http' }, /rtspTransport/],
    [{ connectTimeout: 0 }, /connectTimeout/],
    [{ stallTimeout: Number.NaN }, /stallTimeout/],
    [{ reconnect: { maxAttempts: -1 } }, /reconnect\.maxAttempts/],
    [{ reconnect: { initialDelay: 5, maxDelay: 1 } }, /reconnect\.maxDelay/],
    [{ realtime: 'yes' }, /realtime/],
  ];
  for (const [options, name] of cases) {
    assert.throws(
      () => new StreamReader('clip.mp4', options),
      (error: unknown) => error instanceof ConfigError && error.code === 'INVALID_OPTION' && name.test(error.message),
      JSON.stringify(options),
    );
  }
  assert.throws(() => new StreamReader('clip.mp4', { ffmpegPath: '/nonexistent/ffmpeg' }), (e: unknown) => e instanceof StreamError && e.code === 'FFMPEG_FAILED');
});

test('MultiStreamReader rejects bad options and sources before starting anything', () => {
  assert.throws(() => new MultiStreamReader(['a.mp4'], { syncTolerance: -0.1 }), (e: unknown) => e instanceof ConfigError && /syncTolerance/.test(e.message));
  assert.throws(() => new MultiStreamReader(['a.mp4', 'b.mp4'], { bufferSize: 0 }), (e: unknown) => e instanceof ConfigError && /bufferSize/.test(e.message));
  assert.throws(() => new MultiStreamReader('udp://127.0.0.1:1905, gopher://x'), (e: unknown) => e instanceof StreamError && e.code === 'INVALID_URL' && /gopher/.test(e.message));
  assert.throws(() => new MultiStreamReader([]), (e: unknown) => e instanceof StreamError && e.code === 'INVALID_URL');
  assert.throws(() => new MultiStreamReader(' , \n'), (e: unknown) => e instanceof StreamError && e.code === 'INVALID_URL');
  assert.deepEqual(childFfmpegPids(), []);
});

test('ffmpeg argv: source is one entry after -i, flags follow the source kind', () => {
  const base = { pixelFormat: 'bgr24' as const, realtime: false, maxWidth: undefined, maxHeight: undefined, rtspTransport: 'tcp' as const, frameTimestamps: false };
  const file = buildFfmpegArgs(classifySource('/videos/my clip;rm -rf.mp4'), { ...base, realtime: true });
  assert.equal(file[file.indexOf('-i') + 1], 'file:/videos/my clip;rm -rf.mp4');
  assert.ok(file.indexOf('-re') < file.indexOf('-i'));
  assert.deepEqual(file.slice(-5), ['-f', 'rawvideo', '-pix_fmt', 'bgr24', 'pipe:1']);

  const rtsp = buildFfmpegArgs(classifySource('rtsp://cam/live'), { ...base, rtspTransport: 'udp' });
  assert.equal(rtsp[rtsp.indexOf('-rtsp_transport') + 1], 'udp');
  const udp = buildFfmpegArgs(classifySource('udp://127.0.0.1:1905'), base);
  assert.match(udp[udp.indexOf('-i') + 1]!, /^udp:\/\/127\.0\.0\.1:1905\?fifo_size=\d+&overrun_nonfatal=1$/);
  const hls = buildFfmpegArgs(classifySource('https://cdn/x/index.m3u8'), base);
  assert.ok(hls.includes('-reconnect_streamed'));
  const live = buildFfmpegArgs(classifySource('udp://127.0.0.1:1905'), { ...base, maxWidth: 640, frameTimestamps: true });
  assert.match(live[live.indexOf('-vf') + 1]!, /^scale=.*,showinfo$/);
  assert.equal(scaleFilter(undefined, undefined), undefined);
  assert.match(scaleFilter(640, 360)!, /min\(1\\,min\(640\/iw\\,360\/ih\)\)/);
});

test('the stream banner and showinfo lines of ffmpeg are parsed', () => {
  const banner = [
    "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'file:/x.mp4':",
    '    Stream #0:0(und): Video: h264 (Main) (avc1 / 0x31637661), yuv420p(tv, bt709), 1280x720 [SAR 1:1 DAR 16:9], 1083 kb/s, 25 fps, 25 tbr, 12800 tbn, 50 tbc (default)',
    'Stream mapping:',
    "Output #0, rawvideo, to 'pipe:1':",
    '    Stream #0:0(und): Video: rawvideo (RGB[24] / 0x18424752), rgb24, 640x360 [SAR 1:1 DAR 16:9], q=2-31, 138240 kb/s, 25 fps, 25 tbn, 25 tbc (default)',
    '',
  ].join('\n');
  assert.equal(parseStreamBanner(banner.slice(0, banner.indexOf('Output'))), undefined);
  assert.deepEqual(parseStreamBanner(banner), { codec: 'h264', sourceWidth: 1280, sourceHeight: 720, width: 640, height: 360, fps: 25 });
  assert.deepEqual(parseShowinfoLine('[Parsed_showinfo_1 @ 0x1] n:  31 pts: 155000 pts_time:1.72222 pos: 591260 fmt:yuv420p'), { n: 31, ptsTime: 1.72222 });
  assert.equal(parseShowinfoLine('frame=  12 fps=0.0'), undefined);
  const failure = classifyFfmpegFailure('srt://h:1', 'srt://h:1: Protocol not found\n', 1);
  assert.equal(failure.error.code, 'STREAM_FAILED');
  assert.ok(failure.permanent);
});
