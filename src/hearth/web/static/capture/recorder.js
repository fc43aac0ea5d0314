/* Hearth recorder: microphone → AudioWorklet (16 kHz mono int16, 0.5 s frames) → numbered
   frames over a WebSocket. Every frame is kept in IndexedDB until the server acknowledges it,
   so a dropped connection or a reload loses nothing: unacknowledged frames are sent again.
   No inline script (CSP); the Recording panel arrives with htmx, so this binds on htmx:load. */
(function () {
  "use strict";

  var DB_NAME = "hearth-capture";
  var STORE = "frames";
  var RATE = 16000;
  var FRAME_SAMPLES = 8000;
  var MAX_BACKOFF = 10000;

  /* --- IndexedDB: unacknowledged frames, keyed by [recording id, seq] --- */

  var dbPromise = null;
  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var req = indexedDB.open(DB_NAME, 1);
        req.onupgradeneeded = function () {
          req.result.createObjectStore(STORE, { keyPath: ["rid", "seq"] });
        };
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { reject(req.error); };
      });
    }
    return dbPromise;
  }

  function tx(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var result = work(t.objectStore(STORE));
        t.oncomplete = function () { resolve(result && "value" in result ? result.value : undefined); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error); };
      });
    });
  }

  function idbPut(rid, seq, data) {
    return tx("readwrite", function (s) { s.put({ rid: rid, seq: seq, data: data }); });
  }
  function idbDelete(rid, seq) {
    return tx("readwrite", function (s) { s.delete([rid, seq]); });
  }
  function idbRange(rid) {
    return IDBKeyRange.bound([rid, 0], [rid, Number.MAX_SAFE_INTEGER]);
  }
  function idbAll(rid) {
    var out = { value: [] };
    return tx("readonly", function (s) {
      var req = s.openCursor(idbRange(rid));
      req.onsuccess = function () {
        var cursor = req.result;
        if (cursor) { out.value.push(cursor.value); cursor.continue(); }
      };
      return out;
    });
  }
  function idbClear(rid) {
    return tx("readwrite", function (s) { s.delete(idbRange(rid)); });
  }

  /* Frames of recordings that are over (stopped elsewhere, finished without the browser)
     are not audio anyone will send again: remove them from this browser. Recordings this
     user cannot see are left alone (another clinician on a shared computer). */
  function sweepStale(keep) {
    var rids = { value: {} };
    return tx("readonly", function (s) {
      var req = s.openKeyCursor();
      req.onsuccess = function () {
        var cursor = req.result;
        if (cursor) { rids.value[cursor.key[0]] = true; cursor.continue(); }
      };
      return rids;
    }).then(function (found) {
      Object.keys(found || {}).forEach(function (rid) {
        if (rid === keep) { return; }
        fetch("/api/v1/recordings/" + encodeURIComponent(rid), {
          credentials: "same-origin",
          headers: { "Accept": "application/json" },
        }).then(function (response) {
          if (!response.ok) { return null; }
          return response.json();
        }).then(function (body) {
          if (body && body.status !== "recording" && body.status !== "paused") { idbClear(rid); }
        }).catch(function () {});
      });
    }).catch(function () {});
  }

  /* --- the wire format (frames.py) --- */

  function encodeFrame(seq, pcm) {
    var bytes = new Uint8Array(8 + pcm.byteLength);
    var view = new DataView(bytes.buffer);
    bytes[0] = 0x48; // "H"
    bytes[1] = 0x46; // "F"
    bytes[2] = 1; // version
    bytes[3] = 0; // flags
    view.setUint32(4, seq, false);
    bytes.set(new Uint8Array(pcm), 8);
    return bytes.buffer;
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function clock(seconds) {
    var s = Math.floor(seconds);
    var h = Math.floor(s / 3600);
    var m = Math.floor((s % 3600) / 60);
    var rest = String(s % 60).padStart(2, "0");
    return (h ? h + ":" + String(m).padStart(2, "0") : String(m).padStart(2, "0")) + ":" + rest;
  }

  /* --- one recorder per Recording panel --- */

  function Recorder(root) {
    this.root = root;
    this.rid = root.dataset.recording || null;
    this.token = root.dataset.token || "";
    this.wsPath = root.dataset.websocket || "";
    this.nextSeq = 0;
    this.samples = Math.round(parseFloat(root.dataset.elapsedSeconds || "0") * RATE);
    this.state = this.rid ? "paused" : "idle";
    this.ws = null;
    this.connected = false;
    this.backoff = 1000;
    this.stopRequested = false;
    this.starting = false;
    this.chain = Promise.resolve();
    this.ctx = null;
    this.node = null;
    this.stream = null;
    this.buttons = {};
    var self = this;
    ["record", "pause", "resume", "stop"].forEach(function (name) {
      var b = root.querySelector('[data-action="' + name + '"]');
      self.buttons[name] = b;
      if (b) { b.addEventListener("click", function () { self[name](); }); }
    });
    this.meter = root.querySelector("[data-level]");
    this.elapsed = root.querySelector("[data-elapsed]");
    this.statusBox = root.querySelector("[data-status]");
    this.timer = setInterval(function () { self.showElapsed(); }, 250);
    this.showElapsed();
    if (this.rid) { this.connect(); }
  }

  Recorder.prototype.say = function (text, problem) {
    if (!this.statusBox) { return; }
    this.statusBox.textContent = text;
    this.statusBox.classList.toggle("problem", Boolean(problem));
  };

  Recorder.prototype.showElapsed = function () {
    if (this.elapsed) { this.elapsed.textContent = clock(this.samples / RATE); }
  };

  Recorder.prototype.show = function () {
    var b = this.buttons;
    var live = this.state === "recording";
    if (b.record) {
      b.record.hidden = live || this.state === "paused" && Boolean(this.node) || this.state === "stopping";
      b.record.textContent = this.rid ? "Resume recording" : "Record";
      // Enabled only once this script is bound, and only when consent allows recording.
      b.record.disabled = this.root.dataset.allowed !== "true" || this.starting;
    }
    if (b.pause) { b.pause.hidden = !live; }
    if (b.resume) { b.resume.hidden = !(this.state === "paused" && this.node); }
    if (b.stop) { b.stop.hidden = !(this.rid && (live || this.state === "paused")); }
  };

  Recorder.prototype.record = function () {
    var self = this;
    if (this.state === "recording" || this.state === "stopping") { return; }
    if (!navigator.mediaDevices || !window.AudioWorkletNode) {
      this.say("This browser cannot record here (it needs a secure connection and a modern browser).", true);
      return;
    }
    this.starting = true;
    this.show();
    navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1 } })
      .then(function (stream) {
        self.stream = stream;
        return self.rid ? null : self.start();
      })
      .then(function () { return self.startAudio(); })
      .then(function () {
        self.state = "recording";
        self.show();
        self.say("Recording. Audio goes to this practice's own server only.");
        if (!self.ws) { self.connect(); } else { self.control({ type: "resume" }); }
      })
      .catch(function (err) {
        self.stopAudio();
        self.say("Recording did not start: " + (err && err.message ? err.message : err), true);
      })
      .then(function () { self.starting = false; self.show(); });
  };

  Recorder.prototype.start = function () {
    var self = this;
    return fetch(this.root.dataset.startUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrfToken(), "Accept": "application/json" },
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) {
          throw new Error((body && body.error && body.error.message) || "the server refused");
        }
        self.rid = body.id;
        self.token = body.token;
        self.wsPath = body.websocket;
        self.addStatus(body.id);
      });
    });
  };

  Recorder.prototype.addStatus = function (rid) {
    var panel = this.root.closest("section") || document;
    var list = panel.querySelector("[data-recordings]");
    var title = panel.querySelector("[data-recordings-title]");
    if (title) { title.hidden = false; }
    if (list && window.htmx) {
      window.htmx.ajax("GET", "/recordings/" + rid + "/status?was=recording", { target: list, swap: "afterbegin" });
    }
  };

  Recorder.prototype.startAudio = function () {
    var self = this;
    var ctx = new (window.AudioContext || window.webkitAudioContext)();
    this.ctx = ctx;
    return ctx.audioWorklet.addModule(this.root.dataset.worklet).then(function () {
      var source = ctx.createMediaStreamSource(self.stream);
      var node = new AudioWorkletNode(ctx, "hearth-pcm", {
        processorOptions: { frameSamples: FRAME_SAMPLES },
      });
      node.port.onmessage = function (event) { self.fromWorklet(event.data); };
      source.connect(node);
      node.connect(ctx.destination); // the processor writes silence; this keeps it running
      self.node = node;
      return ctx.resume();
    });
  };

  Recorder.prototype.stopAudio = function () {
    if (this.stream) { this.stream.getTracks().forEach(function (t) { t.stop(); }); }
    if (this.ctx) { this.ctx.close().catch(function () {}); }
    this.stream = null;
    this.ctx = null;
    this.node = null;
    if (this.meter) { this.meter.value = 0; }
  };

  Recorder.prototype.fromWorklet = function (msg) {
    if (msg.type === "level" && this.meter) {
      this.meter.value = Math.min(1, msg.rms * 4);
    } else if (msg.type === "frame") {
      this.frame(msg.pcm);
    } else if (msg.type === "flushed" && this.onFlushed) {
      this.onFlushed();
    }
  };

  Recorder.prototype.frame = function (pcm) {
    var self = this;
    var rid = this.rid;
    var seq = this.nextSeq++;
    this.samples += pcm.byteLength / 2;
    var message = encodeFrame(seq, pcm);
    // Kept before it is sent, so an acknowledgement never races the store.
    this.chain = this.chain
      .then(function () { return idbPut(rid, seq, message); })
      .catch(function () { self.say("This browser could not keep a copy of the audio; keep the connection up.", true); })
      .then(function () { self.send(message); });
  };

  Recorder.prototype.send = function (data) {
    if (this.ws && this.connected && this.ws.readyState === WebSocket.OPEN) { this.ws.send(data); }
  };

  Recorder.prototype.control = function (msg) { this.send(JSON.stringify(msg)); };

  Recorder.prototype.connect = function () {
    var self = this;
    if (!this.wsPath) { return; }
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(scheme + location.host + this.wsPath);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.onopen = function () { ws.send(JSON.stringify({ type: "hello", token: self.token })); };
    ws.onmessage = function (event) {
      if (typeof event.data === "string") { self.onMessage(JSON.parse(event.data)); }
    };
    ws.onclose = function (event) { if (self.ws === ws) { self.onClose(event); } };
  };

  Recorder.prototype.resend = function (only) {
    var self = this;
    return idbAll(this.rid).then(function (frames) {
      var have = {};
      frames.forEach(function (f) {
        have[f.seq] = true;
        self.nextSeq = Math.max(self.nextSeq, f.seq + 1);
        if (!only || only.indexOf(f.seq) >= 0) { self.send(f.data); }
      });
      return have;
    });
  };

  Recorder.prototype.onMessage = function (msg) {
    var self = this;
    if (msg.type === "ready") {
      this.connected = true;
      this.backoff = 1000;
      this.nextSeq = Math.max(this.nextSeq, msg.next_seq);
      this.chain = this.chain.then(function () { return self.resend(null); }).then(function () {
        if (self.stopRequested) { self.sendStop(false); }
      });
      if (this.state === "recording") { this.control({ type: "resume" }); }
      if (!this.node && this.state === "paused") {
        this.say("This recording is open. Press Resume recording to go on, or Stop to finish it.");
      } else if (this.state !== "stopping") {
        this.say(this.state === "recording" ? "Recording. Audio goes to this practice's own server only." : "Connected.");
      }
      this.show();
      this.keepAlive();
    } else if (msg.type === "ack") {
      idbDelete(this.rid, msg.seq).catch(function () {});
    } else if (msg.type === "missing") {
      this.chain = this.chain.then(function () { return self.resend(msg.seqs); }).then(function (have) {
        var lost = msg.seqs.filter(function (s) { return !have[s]; });
        self.sendStop(lost.length > 0);
      });
    } else if (msg.type === "stopped") {
      this.finished("Stopped. The recording is being transcribed on this practice's machine.");
    } else if (msg.type === "error") {
      this.say(msg.message, true);
    }
  };

  Recorder.prototype.keepAlive = function () {
    var self = this;
    clearInterval(this.pinger);
    this.pinger = setInterval(function () {
      if (self.connected) { self.control({ type: "ping" }); }
    }, 20000);
  };

  Recorder.prototype.onClose = function (event) {
    var self = this;
    this.connected = false;
    clearInterval(this.pinger);
    if (this.state === "done") { return; }
    var reason = event.reason || "";
    if (event.code === 4403) {
      idbClear(this.rid).catch(function () {});
      this.stopAudio();
      this.state = "done";
      this.show();
      this.say(reason || "Recording consent was revoked; the recording stopped.", true);
      return;
    }
    if (event.code === 4409) {
      if (reason.indexOf("another window") < 0) { idbClear(this.rid).catch(function () {}); }
      this.stopAudio();
      this.state = "done";
      this.show();
      this.say(reason || "This recording is finished.", true);
      return;
    }
    if (event.code === 4401 || event.code === 4404 || event.code === 1008) {
      this.say((reason || "The server refused the recording.") + " The audio is kept in this browser.", true);
      return;
    }
    this.say("Connection lost. Recording goes on; the audio is kept in this browser and sent when the connection is back.", true);
    setTimeout(function () { self.connect(); }, this.backoff);
    this.backoff = Math.min(MAX_BACKOFF, this.backoff * 2);
  };

  Recorder.prototype.pause = function () {
    if (this.state !== "recording") { return; }
    if (this.node) { this.node.port.postMessage({ pause: true }); }
    this.state = "paused";
    this.control({ type: "pause" });
    this.say("Paused.");
    this.show();
  };

  Recorder.prototype.resume = function () {
    if (this.state !== "paused" || !this.node) { return; }
    this.node.port.postMessage({ pause: false });
    this.state = "recording";
    this.control({ type: "resume" });
    this.say("Recording. Audio goes to this practice's own server only.");
    this.show();
  };

  Recorder.prototype.stop = function () {
    var self = this;
    if (!this.rid || this.state === "stopping" || this.state === "done") { return; }
    this.state = "stopping";
    this.show();
    this.say("Stopping: sending the last of the audio…");
    var flushed = new Promise(function (resolve) {
      if (!self.node) { resolve(); return; }
      self.onFlushed = resolve;
      self.node.port.postMessage({ flush: true });
      setTimeout(resolve, 1500);
    });
    flushed.then(function () {
      self.onFlushed = null;
      self.stopAudio();
      self.stopRequested = true;
      self.chain = self.chain.then(function () {
        if (self.connected) { self.sendStop(false); } else if (!self.ws || self.ws.readyState > 1) { self.connect(); }
      });
    });
  };

  Recorder.prototype.sendStop = function (acceptGaps) {
    this.control({ type: "stop", frames: this.nextSeq, accept_gaps: acceptGaps });
  };

  Recorder.prototype.finished = function (text) {
    var rid = this.rid;
    this.state = "done";
    this.stopRequested = false;
    clearInterval(this.pinger);
    idbClear(rid).catch(function () {});
    if (this.ws) { this.ws.close(); }
    this.ws = null;
    this.rid = null;
    this.token = "";
    this.wsPath = "";
    this.nextSeq = 0;
    this.samples = 0;
    this.say(text);
    this.state = "idle";
    this.show();
  };

  function bind(scope) {
    var roots = [];
    if (scope.matches && scope.matches("[data-recorder]")) { roots.push(scope); }
    if (scope.querySelectorAll) {
      scope.querySelectorAll("[data-recorder]").forEach(function (el) { roots.push(el); });
    }
    roots.forEach(function (root) {
      if (!root.hearthRecorder) {
        root.hearthRecorder = new Recorder(root);
        root.hearthRecorder.show();
        sweepStale(root.hearthRecorder.rid);
      }
    });
  }

  document.addEventListener("htmx:load", function (event) { bind(event.detail.elt); });
  document.addEventListener("DOMContentLoaded", function () { bind(document); });
})();
