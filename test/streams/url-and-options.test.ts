/**
 * Source parsing, option validation, ffmpeg argv building and banner parsing: everything that
 * must reject bad input before any process starts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, StreamError } from '../../src/errors.js';
import { buildFfmpegArgs, fittedSize, scaleFilter } from '../../src/streams/ffmpeg-args.js';
import { MultiStreamReader } from '../../src/streams/multi-stream-reader.js';
import { classifyFfmpegFailure, parseShowinfoLine, parseShowinfoTimeBase, parseStreamBanner, showsIncomingData } from '../../src/streams/probe.js';
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
    [{ keyframeTimeout: 0 }, /keyframeTimeout/],
    [{ openRetry: 'always' }, /openRetry.*'until-timeout', 'forever'/],
    [{ framesInFlight: -1 }, /framesInFlight/],
    [{ framesInFlight: 1.5 }, /framesInFlight/],
    [{ ffprobePath: '' }, /ffprobePath/],
  ];
  for (const [options, name] of cases) {
    assert.throws(
      () => new StreamReader('clip.mp4', options),
      (error: unknown) => error instanceof ConfigError && error.code === 'INVALID_OPTION' && name.test(error.message),
      JSON.stringify(options),
    );
  }
  assert.throws(() => new StreamReader('clip.mp4', { ffmpegPath: '/nonexistent/ffmpeg' }), (e: unknown) => e instanceof StreamError && e.code === 'FFMPEG_FAILED');
  assert.throws(
    () => new StreamReader('clip.mp4', { ffprobePath: '/nonexistent/ffprobe' }),
    (e: unknown) => e instanceof StreamError && e.code === 'FFMPEG_FAILED' && e.culprit === '/nonexistent/ffprobe' && /ffprobePath/.test(e.message),
  );
  // Live sources never need ffprobe.
  assert.doesNotThrow(() => new StreamReader('udp://127.0.0.1:1905', { ffprobePath: '/nonexistent/ffprobe' }));
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
  assert.match(udp[udp.indexOf('-i') + 1]!, /^udp:\/\/127\.0\.0\.1:1905\?fifo_size=\d+&overrun_nonfatal=1&buffer_size=\d+$/);
  assert.ok(!udp.includes('-nostdin'), 'stdin stays open for the q of a gentle stop');
  const hls = buildFfmpegArgs(classifySource('https://cdn/x/index.m3u8'), base);
  assert.ok(hls.includes('-reconnect_streamed'));
  const live = buildFfmpegArgs(classifySource('udp://127.0.0.1:1905'), { ...base, maxWidth: 640, frameTimestamps: true });
  assert.match(live[live.indexOf('-vf') + 1]!, /^scale=.*,showinfo=checksum=0$/);
  const fixed = buildFfmpegArgs(classifySource('udp://127.0.0.1:1905'), { ...base, maxWidth: 640, frameTimestamps: true, frameSize: { width: 320, height: 180 } });
  assert.equal(fixed[fixed.indexOf('-vf') + 1], 'scale=w=320:h=180:flags=area,showinfo=checksum=0', 'a fixed size replaces the limits');
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
  assert.deepEqual(parseShowinfoLine('[Parsed_showinfo_1 @ 0x1] n:  31 pts: 155000 pts_time:1.72222 pos: 591260 fmt:yuv420p sar:1/1 s:640x360 i:P iskey:0 type:B '), { n: 31, pts: 155000, ptsTime: 1.72222, width: 640, height: 360 });
  assert.deepEqual(parseShowinfoLine('[Parsed_showinfo_0 @ 0x1] n:   0 pts:NOPTS pts_time:NOPTS pos: -1 fmt:yuv420p sar:0/1 s:320x240 i:P iskey:1 type:I'), { n: 0, pts: undefined, ptsTime: undefined, width: 320, height: 240 });
  assert.equal(parseShowinfoLine('frame=  12 fps=0.0'), undefined);
  assert.equal(parseShowinfoTimeBase('[Parsed_showinfo_0 @ 0xaf7a200] config in time_base: 1/18432, frame_rate: 18/1'), 1 / 18432);
  assert.equal(parseShowinfoTimeBase('[Parsed_showinfo_0 @ 0xaf7a200] config out time_base: 0/0, frame_rate: 0/0'), undefined);
  const denied = classifyFfmpegFailure('/v/a.mp4', 'file:/v/a.mp4: Permission denied\n', 1);
  assert.deepEqual([denied.error.code, denied.permanent], ['STREAM_FAILED', true]);
  assert.match(denied.error.message, /permission denied/);
  const failure = classifyFfmpegFailure('srt://h:1', 'srt://h:1: Protocol not found\n', 1);
  assert.equal(failure.error.code, 'STREAM_FAILED');
  assert.ok(failure.permanent);
});

test('fittedSize is the arithmetic of the scale filter, so sizes known in advance match what ffmpeg makes', () => {
  assert.deepEqual(fittedSize(1280, 720, 640, undefined), { width: 640, height: 360 });
  assert.deepEqual(fittedSize(640, 360, undefined, 201), { width: 356, height: 200 });
  assert.deepEqual(fittedSize(640, 360, 4000, 4000), { width: 640, height: 360 });
  assert.deepEqual(fittedSize(641, 361, 4000, undefined), { width: 640, height: 360 }, 'even sides once a limit applies');
  assert.deepEqual(fittedSize(641, 361, undefined, undefined), { width: 641, height: 361 }, 'no limit, no scale filter, no rounding');
});

test('incoming data is told apart from protocol chatter in ffmpeg\'s log', () => {
  assert.equal(showsIncomingData("Input #0, mpegts, from 'udp://127.0.0.1:1905':"), true);
  assert.equal(showsIncomingData('[h264 @ 0x42798fc0] non-existing PPS 0 referenced'), true);
  assert.equal(showsIncomingData('[mpegts @ 0x40159d40] decoding for stream 0 failed'), true);
  assert.equal(showsIncomingData('[tcp @ 0x1] Connection to tcp://127.0.0.1:554?timeout=0 failed: Connection refused'), false);
  assert.equal(showsIncomingData('[rtsp @ 0x312c4c80] method DESCRIBE failed: 401 Unauthorized'), false);
  assert.equal(showsIncomingData('[udp @ 0x1] attempted to set receive buffer to size 4194304 but it only ended up set as 425984'), false);
  assert.equal(showsIncomingData('rtsp://127.0.0.1:9/x: Connection refused'), false);
});

test('failure messages name the display form and mask the password ffmpeg printed', () => {
  const raw = 'rtsp://admin:S%23cret@10.0.0.5/cam';
  const log = `[rtsp @ 0x1] method DESCRIBE failed: 401 Unauthorized\n${raw}: Server returned 401 Unauthorized (authorization failed)\n`;
  const { error, permanent } = classifyFfmpegFailure(classifySource(raw).display, log, 1, ['S%23cret', 'S#cret']);
  assert.equal(error.code, 'SOURCE_UNAUTHORIZED');
  assert.ok(permanent);
  assert.equal(error.culprit, 'rtsp://***:***@10.0.0.5/cam');
  assert.ok(!/cret/.test(error.message), error.message);
  assert.match(error.message, /user name and password/);
  assert.throws(() => parseStreamUrls('rtsp://admin:S3cret@cam/x, gopher://u:pw@x'), (e: unknown) => e instanceof StreamError && !/pw@/.test(e.message) && e.culprit === 'gopher://***:***@x');
  assert.equal(classifySource('rtsp://admin:S3cret@cam/x').display, 'rtsp://***:***@cam/x');
});
