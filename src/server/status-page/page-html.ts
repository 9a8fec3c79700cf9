// The status page's document. Everything it loads comes from the daemon itself (the page works
// offline and under a Content-Security-Policy of 'self'); the script builds the rest.
export const statusPageHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lagpilot status</title>
<link rel="stylesheet" href="/status/page.css">
<link rel="icon" href="/status/icon.svg" type="image/svg+xml">
<script src="/status/page.js" defer></script>
</head>
<body>
<header class="top">
  <h1>lagpilot</h1>
  <span class="instance" id="instance">connecting…</span>
  <span class="updated" id="updated"></span>
</header>
<div class="problem" id="problem" hidden></div>
<main id="targets"><p class="empty" id="empty">Waiting for the first status…</p></main>
<footer>Plots cover the last hour (the window the daemon keeps); they update every 2 s. JSON: <a href="/api/status">/api/status</a> · <a href="/metrics">/metrics</a></footer>
</body>
</html>
`;
