// One time axis for the clips of a case: bars placed by start time, a scrubber,
// and "Play together", which keeps every player at the same moment of real time
// (body camera and dashcam side by side). A clip's media time at timeline time T
// is rate * (T - start): start and rate come from accepted audio alignments
// where there are some (data-rate differs from 1 by the clocks' drift), from the
// corrected time otherwise. No library, no build step.
"use strict";
(function () {
  function setup(root) {
    const bars = [...root.querySelectorAll(".bar")];
    const tiles = [...root.querySelectorAll(".tile")];
    const starts = bars.map((b) => parseFloat(b.dataset.start)).filter((s) => !isNaN(s));
    if (!starts.length) return;
    const ends = bars.map((b) => parseFloat(b.dataset.start) + parseFloat(b.dataset.duration || "0"));
    const t0 = Math.min(...starts);
    const t1 = Math.max(t0 + 1, ...ends.filter((e) => !isNaN(e)));
    const span = t1 - t0;
    bars.forEach((b) => {
      const s = parseFloat(b.dataset.start), d = parseFloat(b.dataset.duration || "0");
      if (isNaN(s)) return;
      b.style.left = ((s - t0) / span) * 100 + "%";
      b.style.width = Math.max(0.5, (d / span) * 100) + "%";
    });
    const scrub = root.querySelector(".scrub");
    const label = root.querySelector(".now");
    const button = root.querySelector(".together");
    let now = t0, playing = false, last = null;

    function show() {
      scrub.value = String(Math.round(((now - t0) / span) * 1000));
      label.textContent = new Date(now * 1000).toISOString().replace("T", " ").slice(0, 19) + " UTC";
    }
    function sync(seekAlways) {
      tiles.forEach((tile) => {
        const video = tile.querySelector("video");
        const local = (now - parseFloat(tile.dataset.start)) * parseFloat(tile.dataset.rate || "1");
        const inside = local >= 0 && (!video.duration || local <= video.duration);
        tile.classList.toggle("idle", !inside);
        if (!inside) { if (!video.paused) video.pause(); return; }
        if (seekAlways || Math.abs(video.currentTime - local) > 0.4) video.currentTime = local;
        tile.dataset.expected = String(local);
        if (playing && video.paused) video.play().catch(() => {});
        if (!playing && !video.paused) video.pause();
      });
      show();
    }
    function tick(ts) {
      if (!playing) return;
      if (last !== null) now = Math.min(t1, now + (ts - last) / 1000);
      last = ts;
      sync(false);
      if (now >= t1) { playing = false; button.textContent = "▶ Play together"; return; }
      requestAnimationFrame(tick);
    }
    button.addEventListener("click", () => {
      playing = !playing;
      button.textContent = playing ? "❚❚ Pause" : "▶ Play together";
      last = null;
      sync(true);
      if (playing) requestAnimationFrame(tick);
    });
    scrub.addEventListener("input", () => { now = t0 + (parseInt(scrub.value, 10) / 1000) * span; sync(true); });
    show();
  }
  document.querySelectorAll("[data-timeline]").forEach(setup);
})();
