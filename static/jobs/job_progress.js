// A job's page: fetch its progress every two seconds and update the counts and rows in
// place, until nothing is pending or running (no full reload, no inline script: CSP).
(function () {
  "use strict";
  const box = document.getElementById("job-progress");
  if (!box) return;

  function show(progress) {
    for (const [state, count] of Object.entries(progress.counts)) {
      const cell = box.querySelector(`[data-count="${state}"]`);
      if (cell) cell.textContent = String(count);
    }
    for (const item of progress.items) {
      const row = document.querySelector(`tr[data-item="${item.id}"]`);
      if (!row) continue;
      row.querySelector('[data-field="state"]').textContent = item.label;
      row.querySelector('[data-field="message"]').textContent = item.message;
      const retry = row.querySelector('[data-field="retry"]');
      if (retry) retry.hidden = item.state !== "failed";
    }
    return progress.counts.pending + progress.counts.running > 0;
  }

  async function poll() {
    try {
      const answer = await fetch(box.dataset.url, { headers: { Accept: "application/json" } });
      if (answer.ok && !show(await answer.json())) return; // finished: stop asking
    } catch (error) {
      // the network blinked: ask again at the next tick
    }
    window.setTimeout(poll, 2000);
  }

  window.setTimeout(poll, 1000);
})();
