// The page's logic: start a job with POST /detect, follow it over Server-Sent Events
// (GET /events/:id), add and remove cameras while it runs (POST /jobs/:id/sources,
// DELETE /jobs/:id/sources/:index), stop it with POST /cancel/:id, and offer its outputs when
// it has ended. Plain browser JavaScript, no build step.

const $ = (id) => document.getElementById(id);
const LOGGED_EVENTS = ['track:new', 'track:lost', 'identity:assigned', 'identity:changed', 'zone:enter', 'zone:exit'];
const MAX_LOG_LINES = 50;

/** The job the page follows: its id and its event stream. */
let current = null;

$('job-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  showFormError('');
  const body = { video_path: $('sources').value, similarity_threshold: Number($('threshold').value) };
  const maxDuration = $('max-duration').value.trim();
  if (maxDuration !== '') body.max_duration_seconds = Number(maxDuration);
  const zones = $('zones').value.trim();
  if (zones !== '') body.zones = zones;
  if ($('realtime').checked) body.realtime = true;

  $('start').disabled = true;
  try {
    const response = await fetch('/detect', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const answer = await response.json();
    if (!response.ok) {
      showFormError(answer.error?.message ?? `request failed (${response.status})`);
      return;
    }
    follow(answer.job_id);
  } catch (error) {
    showFormError(`cannot reach the service: ${error.message}`);
  } finally {
    $('start').disabled = false;
  }
});

$('add-camera').addEventListener('submit', async (event) => {
  event.preventDefault();
  const source = $('add-source').value.trim();
  showAddError('');
  if (current === null || source === '') return;
  $('add-button').disabled = true;
  try {
    const response = await fetch(`/jobs/${current.id}/sources`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ source }) });
    const answer = await response.json();
    if (!response.ok) {
      showAddError(answer.error?.message ?? `request failed (${response.status})`);
      return;
    }
    $('add-source').value = '';
    updateCamera({ camera_index: answer.camera_index, source: answer.source, state: 'connecting' });
  } catch (error) {
    showAddError(`cannot reach the service: ${error.message}`);
  } finally {
    $('add-button').disabled = false;
  }
});

function showAddError(message) {
  $('add-error').textContent = message;
  $('add-error').hidden = message === '';
}

/** Asks the service to end one camera; the others go on. */
async function removeCamera(index, button) {
  if (current === null) return;
  button.disabled = true;
  button.textContent = 'Removing…';
  const response = await fetch(`/jobs/${current.id}/sources/${index}`, { method: 'DELETE' });
  if (!response.ok) {
    button.disabled = false;
    button.textContent = 'Remove';
  }
}

function showFormError(message) {
  $('form-error').textContent = message;
  $('form-error').hidden = message === '';
}

/** Resets the job panel and subscribes to the job's events. */
function follow(jobId) {
  current?.events.close();
  $('job').hidden = false;
  $('job-id').textContent = jobId;
  $('cameras').replaceChildren();
  $('downloads').replaceChildren();
  $('downloads').hidden = true;
  $('warnings').replaceChildren();
  $('event-log').replaceChildren();
  $('stopped-message').hidden = true;
  $('add-camera').hidden = true;
  showAddError('');
  $('identities').hidden = true;
  $('identity-rows').replaceChildren();
  const video = $('result-video');
  video.hidden = true;
  video.removeAttribute('src');
  video.load();
  showStopButton(jobId);

  const events = new EventSource(`/events/${jobId}`);
  current = { id: jobId, events, ended: false };
  const on = (name, handler) => events.addEventListener(name, (e) => handler(JSON.parse(e.data)));

  on('status', (status) => {
    setState(status.status, status.message);
    $('add-camera').hidden = status.status !== 'running';
    if (status.cameras !== undefined) status.cameras.forEach(updateCamera);
    if (status.queue_position !== undefined) $('job-message').textContent = `Waiting for a free processing slot (position ${status.queue_position})`;
  });
  on('start', (start) => {
    start.cameras.forEach((c) => updateCamera({ camera_index: c.cameraIndex, source: c.source, state: c.width > 0 ? 'connected' : 'connecting' }));
    $('add-camera').hidden = false;
  });
  on('camera:added', (e) => updateCamera({ camera_index: e.cameraIndex, source: e.source, state: 'connecting' }));
  on('camera:removed', (e) => {
    const button = cameraCard(e.cameraIndex).querySelector('.remove');
    button.disabled = true;
    button.textContent = 'Removing…';
  });
  on('camera:status', (e) => updateCamera({ camera_index: e.cameraIndex, source: e.source, state: e.state }));
  on('progress', (progress) => {
    $('job-counts').textContent = `${progress.elapsedSeconds.toFixed(0)} s elapsed · ${progress.totalFps.toFixed(1)} frames/s in total`;
    for (const c of progress.cameras) {
      updateCamera({ camera_index: c.cameraIndex, source: c.source, state: c.state, frames: c.frames, fps: c.fps, position: c.position, active_tracks: c.activeTracks });
    }
  });
  on('preview', (p) => {
    const img = cameraCard(p.cameraIndex).querySelector('img');
    img.src = p.url;
  });
  on('warning', (w) => addWarning(w.cameraIndex === undefined ? w.message : `camera ${w.cameraIndex}: ${w.message}`));
  for (const name of LOGGED_EVENTS) on(name, (e) => logEvent(name, e));
  on('end', async () => {
    current.ended = true;
    events.close();
    const response = await fetch(`/status/${jobId}`);
    if (response.ok && current?.id === jobId) showResult(await response.json());
  });
}

function showStopButton(jobId) {
  const button = document.createElement('button');
  button.id = 'stop';
  button.type = 'button';
  button.textContent = 'Stop Processing';
  button.addEventListener('click', async () => {
    button.disabled = true;
    button.textContent = 'Stopping…';
    const response = await fetch(`/cancel/${jobId}`, { method: 'POST' });
    if (response.ok) $('job-message').textContent = 'Stopping processing…';
  });
  $('stop-container').replaceChildren(button);
}

function setState(state, message) {
  const badge = $('job-state');
  badge.textContent = state;
  badge.className = `badge ${state}`;
  if (message !== undefined) $('job-message').textContent = message;
}

/** The card of one camera, created on first use. */
function cameraCard(index) {
  let card = document.querySelector(`.camera[data-camera="${index}"]`);
  if (card !== null) return card;
  card = document.createElement('article');
  card.className = 'camera';
  card.dataset.camera = String(index);
  card.innerHTML = `
    <h3><span>Camera ${index}</span><span class="badge state">waiting</span><button type="button" class="remove" aria-label="Remove camera ${index}">Remove</button></h3>
    <div class="source"></div>
    <div class="worker" hidden></div>
    <dl>
      <dt>Frames</dt><dd class="frames">0</dd>
      <dt>FPS</dt><dd class="fps">0.0</dd>
      <dt>Tracks</dt><dd class="tracks">0</dd>
      <dt>Position</dt><dd class="position">0.0 s</dd>
    </dl>
    <img alt="Camera ${index} preview">`;
  card.querySelector('.remove').addEventListener('click', (e) => removeCamera(index, e.currentTarget));
  const cards = [...$('cameras').children];
  const after = cards.find((c) => Number(c.dataset.camera) > index);
  $('cameras').insertBefore(card, after ?? null);
  return card;
}

function updateCamera(c) {
  const card = cameraCard(c.camera_index);
  const set = (selector, text) => {
    card.querySelector(selector).textContent = text;
  };
  if (c.source !== undefined) set('.source', c.source);
  if (c.state !== undefined) {
    set('.state', c.state);
    card.querySelector('.state').className = `badge state ${c.state}`;
    if (c.state === 'ended' || c.state === 'failed') card.querySelector('.remove').hidden = true;
  }
  if (c.worker !== undefined) {
    const worker = card.querySelector('.worker');
    worker.textContent = `worker ${c.worker}${c.attempts > 1 ? ` · ${c.attempts} attempts` : ''}`;
    worker.hidden = false;
  }
  if (c.frames !== undefined) set('.frames', String(c.frames));
  if (c.fps !== undefined) set('.fps', c.fps.toFixed(1));
  if (c.active_tracks !== undefined) set('.tracks', String(c.active_tracks));
  if (c.position !== undefined) set('.position', `${c.position.toFixed(1)} s`);
  if (c.preview_url !== undefined && !card.querySelector('img').src) card.querySelector('img').src = c.preview_url;
}

function addWarning(text) {
  const item = document.createElement('li');
  item.textContent = `⚠ ${text}`;
  $('warnings').append(item);
}

function logEvent(name, e) {
  const parts = [`cam ${e.cameraIndex}`, name, `track ${e.trackId}`];
  if (e.globalId !== undefined) parts.push(`id ${e.globalId}${e.name ? ` (${e.name})` : ''}`);
  if (e.zone !== undefined) parts.push(`zone ${e.zone}`);
  const item = document.createElement('li');
  item.textContent = `${e.timestamp.toFixed(1)} s · ${parts.join(' · ')}`;
  const log = $('event-log');
  log.prepend(item);
  while (log.children.length > MAX_LOG_LINES) log.lastElementChild.remove();
}

/** After the end: final counters, the stopped message, downloads and the video. */
function showResult(status) {
  setState(status.status, status.message);
  status.cameras.forEach(updateCamera);
  $('stop-container').replaceChildren();
  $('add-camera').hidden = true;
  for (const button of document.querySelectorAll('.camera .remove')) button.hidden = true;
  if (status.status === 'cancelled') $('stopped-message').hidden = false;
  const c = status.counts;
  $('job-counts').textContent = `${status.elapsed_seconds.toFixed(1)} s · ${c.tracks} tracks · ${c.identities} identities · ${c.zone_entries} zone entries`;
  $('warnings').replaceChildren();
  status.warnings.forEach(addWarning);

  const outputs = status.outputs;
  if (outputs === undefined) return;
  const links = [];
  if (status.multi_camera) {
    if (outputs.zip !== null) links.push(downloadLink(outputs.zip, 'Download All Cameras (ZIP)'));
  } else {
    if (outputs.video) links.push(downloadLink(outputs.video, 'Download video (MP4)'));
    if (outputs.csv) links.push(downloadLink(outputs.csv, 'Download tracks (CSV)'));
    if (outputs.json) links.push(downloadLink(outputs.json, 'Download zone report (JSON)'));
    if (outputs.video) {
      const video = $('result-video');
      video.src = outputs.video;
      video.hidden = false;
    }
  }
  $('downloads').replaceChildren(...links);
  $('downloads').hidden = links.length === 0;
  void showIdentities(outputs.files);
}

/** The identities panel: one row per person of the job's identities.json, a crop per camera. */
async function showIdentities(files) {
  const report = files.find((f) => /(^|\/)identities\.json$/.test(f.name));
  $('identities').hidden = true;
  $('identity-rows').replaceChildren();
  if (report === undefined) return;
  const response = await fetch(report.url);
  if (!response.ok) return;
  const { identities } = await response.json();
  // Crop paths are relative to the job folder, as identities.json itself.
  const folder = report.name.slice(0, report.name.length - 'identities.json'.length);
  const urlOf = new Map(files.map((f) => [f.name, f.url]));
  const rows = identities.map((person) => {
    const row = document.createElement('tr');
    row.className = 'identity';
    row.dataset.globalId = String(person.globalId);
    const name = document.createElement('td');
    name.textContent = `G${person.globalId}${person.name ? ` · ${person.name}` : ''}`;
    const seen = document.createElement('td');
    seen.textContent = `${person.firstSeen.toFixed(1)}–${person.lastSeen.toFixed(1)} s`;
    const cameras = document.createElement('td');
    for (const camera of person.cameras) {
      const figure = document.createElement('figure');
      const url = camera.crop === undefined ? undefined : urlOf.get(folder + camera.crop);
      if (url !== undefined) {
        const img = document.createElement('img');
        img.src = url;
        img.alt = `G${person.globalId} on camera ${camera.cameraIndex}`;
        figure.append(img);
      }
      const caption = document.createElement('figcaption');
      caption.textContent = `cam ${camera.cameraIndex} · ${camera.firstSeen.toFixed(1)}–${camera.lastSeen.toFixed(1)} s`;
      figure.append(caption);
      cameras.append(figure);
    }
    row.append(name, seen, cameras);
    return row;
  });
  $('identity-rows').replaceChildren(...rows);
  $('identities').hidden = rows.length === 0;
}

function downloadLink(href, label) {
  const link = document.createElement('a');
  link.className = 'button';
  link.href = href;
  link.download = '';
  link.textContent = label;
  return link;
}
