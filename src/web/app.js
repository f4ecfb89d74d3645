// The search page: calls the /v1 API of the server that serves it and renders the hits, with the
// words each query word matched highlighted (from `explain` and the stored spans) and the time of
// each search stage. Plain browser JavaScript, no build step.

const KEY_STORAGE = 'muvera.apiKey';

const $ = (id) => document.getElementById(id);

/** Calls the API; on 401 reveals the key field so the user can give one. */
async function api(method, path, body) {
  const headers = { 'content-type': 'application/json' };
  const key = localStorage.getItem(KEY_STORAGE);
  if (key) headers.authorization = `Bearer ${key}`;
  const response = await fetch(path, { method, headers, body: body && JSON.stringify(body) });
  const payload = await response.json();
  if (response.status === 401) $('key-row').hidden = false;
  if (!response.ok) throw new Error(`${payload.code}: ${payload.message}`);
  return payload;
}

async function loadCollections() {
  const select = $('collection');
  const { collections } = await api('GET', '/v1/collections');
  select.replaceChildren(
    ...collections.map((item) => {
      const option = document.createElement('option');
      option.value = item.name;
      option.textContent = `${item.name} (${item.documents.toLocaleString()} docs)`;
      return option;
    }),
  );
  if (collections.length === 0) showMessage('No collections yet: index one with `muvera index`.');
}

function showMessage(text) {
  $('message').textContent = text;
}

/** Splits `text` into plain and highlighted pieces; each span keeps its best query match. */
function highlightPieces(text, matches) {
  const best = new Map();
  for (const match of matches ?? []) {
    if (!match.span) continue;
    const key = match.span.join(':');
    const seen = best.get(key);
    if (!seen || match.score > seen.score) best.set(key, match);
  }
  const marks = [...best.values()].sort((a, b) => a.span[0] - b.span[0]);
  const pieces = [];
  let at = 0;
  for (const match of marks) {
    const [start, end] = match.span;
    if (start < at) continue;
    if (start > at) pieces.push({ text: text.slice(at, start) });
    pieces.push({ text: text.slice(start, end), match });
    at = end;
  }
  if (at < text.length) pieces.push({ text: text.slice(at) });
  return pieces;
}

/** Appends the pieces of `text` within [from, to) to `element`, matched words as <mark>. */
function appendPieces(element, pieces, from, to) {
  let at = 0;
  for (const piece of pieces) {
    const start = at;
    at += piece.text.length;
    const text = piece.text.slice(Math.max(from - start, 0), Math.max(to - start, 0));
    if (text === '') continue;
    if (!piece.match) {
      element.append(text);
      continue;
    }
    const mark = document.createElement('mark');
    mark.textContent = text;
    // Squaring keeps weak neighbours faint and exact word matches bright.
    const strength = Math.max(0, Math.min(1, piece.match.score)) ** 2;
    mark.style.setProperty('--strength', strength.toFixed(2));
    mark.title = `matches query word "${piece.match.queryText ?? piece.match.queryToken}" (${piece.match.score.toFixed(3)})`;
    element.append(mark);
  }
}

/** Characters of text shown before the clamp cuts it: an excerpt starts early enough. */
const EXCERPT_LEAD = 300;
/** A match this close to 1 is the query word itself (unit vectors): worth showing first. */
const EXACT_MATCH = 0.99;

/**
 * Where the shown text starts: at `from`, unless the first exact word match lies beyond the
 * clamp; then at the start of the sentence holding it, so the highlight is visible.
 */
function excerptStart(text, matches, from) {
  const spans = (matches ?? []).filter(
    (m) => m.span && m.span[0] >= from && m.score >= EXACT_MATCH,
  );
  const first = Math.min(...spans.map((m) => m.span[0]));
  if (!Number.isFinite(first) || first - from < EXCERPT_LEAD) return from;
  const sentence = text.lastIndexOf('. ', first);
  return sentence >= from ? sentence + 2 : first;
}

/** Length of the title line the indexer puts before the text (`title + "\n" + text`), or 0. */
function titleLength(hit) {
  const title = hit.metadata?.title;
  return typeof title === 'string' && hit.text?.startsWith(`${title}\n`) ? title.length : 0;
}

function renderMatches(matches) {
  const list = document.createElement('p');
  list.className = 'matches';
  const pairs = (matches ?? [])
    .filter((match) => match.docText !== undefined)
    .map(
      (match) =>
        `${match.queryText ?? match.queryToken} → ${match.docText} ${match.score.toFixed(2)}`,
    );
  list.textContent = pairs.join(' · ');
  return list;
}

function renderHit(hit, rank) {
  const item = document.createElement('li');
  item.className = 'hit';
  const head = document.createElement('div');
  head.className = 'hit-head';
  head.innerHTML =
    '<span class="rank"></span><span class="title"></span><span class="id"></span><span class="score"></span>';
  head.querySelector('.rank').textContent = `${rank}.`;
  head.querySelector('.id').textContent = hit.id;
  head.querySelector('.score').textContent = hit.score.toFixed(4);
  item.append(head);

  const text = hit.text ?? '';
  const pieces = highlightPieces(text, hit.matches);
  const split = titleLength(hit);
  if (split > 0) appendPieces(head.querySelector('.title'), pieces, 0, split);
  else head.querySelector('.title').textContent = hit.id;
  if (text.length > split) {
    const from = split === 0 ? 0 : split + 1;
    const body = document.createElement('p');
    body.className = 'text';
    body.title = 'Click to show all of it';
    const show = (start) => {
      body.replaceChildren(start > from ? '… ' : '');
      appendPieces(body, pieces, start, text.length);
    };
    body.addEventListener('click', () => {
      body.classList.toggle('expanded');
      show(body.classList.contains('expanded') ? from : excerptStart(text, hit.matches, from));
    });
    show(excerptStart(text, hit.matches, from));
    item.append(body);
  }
  if (hit.matches) item.append(renderMatches(hit.matches));
  return item;
}

/** Milliseconds with two decimals below 1 ms, one above. */
function ms(value) {
  return `${value.toFixed(value < 1 ? 2 : 1)} ms`;
}

function renderStats(stats, query) {
  const t = stats.timings;
  const cells = [
    ['strategy', stats.strategy],
    ['query tokens', `${stats.queryTokens}${query ? ` (${query.tokens.join(' ')})` : ''}`],
    ['candidates', stats.candidatesFetched],
    ['exact scorings', stats.exactScorings],
    ['encode', ms(t.encodeMs)],
    ['candidates stage', ms(t.candidatesMs)],
    ['re-rank', ms(t.rerankMs)],
    ['total', ms(t.totalMs)],
  ];
  const section = $('stats');
  section.replaceChildren(
    ...cells.map(([label, value]) => {
      const cell = document.createElement('span');
      cell.className = 'stat';
      cell.dataset.stat = label;
      cell.innerHTML = '<b></b> <span></span>';
      cell.querySelector('b').textContent = label;
      cell.querySelector('span').textContent = String(value);
      return cell;
    }),
  );
  section.hidden = false;
}

async function search(event) {
  event.preventDefault();
  const key = $('api-key').value.trim();
  if (key) localStorage.setItem(KEY_STORAGE, key);
  const name = $('collection').value;
  const strategy = $('strategy').value;
  const k = Number($('k').value);
  const candidates = Math.max(Number($('candidates').value), k);
  const body = { text: $('query').value, k, strategy, explain: true, stats: true };
  if (strategy !== 'exact') body.candidates = candidates;

  showMessage('Searching…');
  try {
    if (!name) await loadCollections();
    const result = await api(
      'POST',
      `/v1/collections/${encodeURIComponent($('collection').value)}/search`,
      body,
    );
    $('results').replaceChildren(...result.hits.map((hit, index) => renderHit(hit, index + 1)));
    renderStats(result.stats, result.query);
    showMessage(result.hits.length === 0 ? 'No results.' : `${result.hits.length} results`);
  } catch (error) {
    showMessage(error.message);
  }
}

$('search-form').addEventListener('submit', search);
$('api-key').addEventListener('change', () => {
  localStorage.setItem(KEY_STORAGE, $('api-key').value.trim());
  loadCollections().catch((error) => showMessage(error.message));
});
loadCollections().catch((error) => showMessage(error.message));
