// The sound meter and its warning: the microphone's level before Start as during a session,
// and in words when the microphone hears nothing or the sound clips. The device measures
// every block and sends the level with its `sound` event once a second in any state; the
// words come with it (appliance/sources/sound_check.py), so none are spelled here.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  // The empty end of the bar: a quiet room (about -60 dBFS) still shows a sliver, so a
  // live microphone is told from a dead one at a glance.
  const FLOOR_DBFS = -80;

  function showLevel(dbfs) {
    const fill = $("audio-level");
    if (dbfs === null || dbfs === undefined) {
      fill.style.width = "0%";
      $("audio-dbfs").textContent = "–";
      return;
    }
    const fraction = Math.min(1, Math.max(0, (dbfs - FLOOR_DBFS) / -FLOOR_DBFS));
    fill.style.width = Math.round(fraction * 100) + "%";
    $("audio-dbfs").textContent = Math.round(dbfs) + " dB";
  }

  function showWarning(warning) {
    const line = $("sound-warning");
    const fill = $("audio-level");
    if (!warning) {
      line.textContent = "";
      delete line.dataset.code;
      delete fill.dataset.warning;
      return;
    }
    line.textContent = warning.message + " " + warning.hint;
    line.dataset.code = warning.code;
    fill.dataset.warning = warning.code;
  }

  const panel = window.vigPanel;
  panel.on("status", (status) => {
    showLevel(status.audio_dbfs);
    showWarning(status.sound_warning);
  });
  panel.on("sound", (e) => {
    showLevel(e.audio_dbfs);
    showWarning(e.warning);
  });
  panel.on("tick", (e) => showLevel(e.audio_dbfs));
})();
