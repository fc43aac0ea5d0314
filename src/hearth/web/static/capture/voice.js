/* Voice enrollment: record about 30 s with the same AudioWorklet as the recorder, make a WAV
   in the page and upload it to /voice, which keeps only the voice print. No inline script. */
(function () {
  "use strict";

  var RATE = 16000;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function wav(chunks) {
    var samples = chunks.reduce(function (n, c) { return n + c.byteLength / 2; }, 0);
    var buffer = new ArrayBuffer(44 + samples * 2);
    var view = new DataView(buffer);
    function text(offset, s) { for (var i = 0; i < s.length; i++) { view.setUint8(offset + i, s.charCodeAt(i)); } }
    text(0, "RIFF");
    view.setUint32(4, 36 + samples * 2, true);
    text(8, "WAVE");
    text(12, "fmt ");
    view.setUint32(16, 16, true);
    view.setUint16(20, 1, true); // PCM
    view.setUint16(22, 1, true); // mono
    view.setUint32(24, RATE, true);
    view.setUint32(28, RATE * 2, true);
    view.setUint16(32, 2, true);
    view.setUint16(34, 16, true);
    text(36, "data");
    view.setUint32(40, samples * 2, true);
    var out = new Uint8Array(buffer, 44);
    var at = 0;
    chunks.forEach(function (c) { out.set(new Uint8Array(c), at); at += c.byteLength; });
    return new Blob([buffer], { type: "audio/wav" });
  }

  function bind(root) {
    if (root.hearthVoice) { return; }
    root.hearthVoice = true;
    var button = root.querySelector('[data-action="voice-record"]');
    var meter = root.querySelector("[data-level]");
    var remaining = root.querySelector("[data-remaining]");
    var status = root.querySelector("[data-status]");
    var seconds = parseInt(root.dataset.seconds || "30", 10);

    function say(t) { if (status) { status.textContent = t; } }

    button.addEventListener("click", function () {
      var chunks = [];
      var got = 0;
      var stream = null;
      var ctx = null;
      button.disabled = true;
      navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1 } })
        .then(function (s) {
          stream = s;
          ctx = new (window.AudioContext || window.webkitAudioContext)();
          return ctx.audioWorklet.addModule(root.dataset.worklet);
        })
        .then(function () {
          return new Promise(function (resolve) {
            var node = new AudioWorkletNode(ctx, "hearth-pcm", { processorOptions: { frameSamples: 1600 } });
            node.port.onmessage = function (event) {
              var msg = event.data;
              if (msg.type === "level" && meter) { meter.value = Math.min(1, msg.rms * 4); }
              if (msg.type === "frame") {
                chunks.push(msg.pcm);
                got += msg.pcm.byteLength / 2;
                if (remaining) { remaining.textContent = Math.max(0, Math.ceil(seconds - got / RATE)) + " s"; }
                if (got >= seconds * RATE) { resolve(); }
              }
            };
            ctx.createMediaStreamSource(stream).connect(node);
            node.connect(ctx.destination);
            say("Recording: please read the text aloud.");
          });
        })
        .then(function () {
          stream.getTracks().forEach(function (t) { t.stop(); });
          ctx.close();
          say("Making your voice print…");
          var form = new FormData();
          form.append("file", wav(chunks), "enrollment.wav");
          return fetch("/voice", {
            method: "POST",
            body: form,
            credentials: "same-origin",
            headers: { "X-CSRF-Token": csrfToken() },
          });
        })
        .then(function (response) {
          if (response.redirected || response.ok) {
            window.location.assign("/voice?saved=1");
          } else {
            say("The voice print was not saved (" + response.status + "). Try again in a quiet room.");
            button.disabled = false;
          }
        })
        .catch(function (err) {
          if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); }
          say("Recording did not work: " + (err && err.message ? err.message : err));
          button.disabled = false;
        });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-voice-recorder]").forEach(bind);
  });
})();
