// Hearth capture: turns the microphone into numbered-frame-ready 16 kHz mono int16 PCM.
// Runs in the AudioWorklet thread. Messages in: {pause: bool}, {flush: true}.
// Messages out: {type: "frame", pcm: ArrayBuffer (int16 LE)}, {type: "level", rms: number}.
const TARGET_RATE = 16000;

class HearthPcmProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const opts = (options && options.processorOptions) || {};
    this.frameSamples = opts.frameSamples || 8000; // 0.5 s at 16 kHz
    this.ratio = sampleRate / TARGET_RATE;
    this.frame = new Int16Array(this.frameSamples);
    this.filled = 0;
    this.pos = 0; // position in input samples of the next output sample
    this.acc = 0; // box filter: sum and count of input samples since the last output
    this.count = 0;
    this.paused = false;
    this.levelSum = 0;
    this.levelCount = 0;
    this.port.onmessage = (event) => {
      const msg = event.data || {};
      if ("pause" in msg) this.paused = Boolean(msg.pause);
      if (msg.flush) this.flush();
    };
  }

  push(value) {
    const v = Math.max(-1, Math.min(1, value));
    this.frame[this.filled++] = v < 0 ? v * 0x8000 : v * 0x7fff;
    if (this.filled === this.frameSamples) this.emit();
  }

  emit() {
    const out = this.frame.slice(0, this.filled);
    this.filled = 0;
    this.port.postMessage({ type: "frame", pcm: out.buffer }, [out.buffer]);
  }

  flush() {
    if (this.filled > 0) this.emit();
    this.port.postMessage({ type: "flushed" });
  }

  process(inputs) {
    const input = inputs[0];
    if (!input || input.length === 0 || this.paused) return true;
    const channels = input.length;
    const n = input[0].length;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let c = 0; c < channels; c++) s += input[c][i];
      s /= channels;
      this.levelSum += s * s;
      this.levelCount++;
      // Average the input samples that fall into each output sample (a box low-pass),
      // then take one output sample every `ratio` input samples.
      this.acc += s;
      this.count++;
      this.pos += 1;
      if (this.pos >= this.ratio) {
        this.pos -= this.ratio;
        this.push(this.acc / this.count);
        this.acc = 0;
        this.count = 0;
      }
    }
    if (this.levelCount >= sampleRate / 20) {
      this.port.postMessage({ type: "level", rms: Math.sqrt(this.levelSum / this.levelCount) });
      this.levelSum = 0;
      this.levelCount = 0;
    }
    return true;
  }
}

registerProcessor("hearth-pcm", HearthPcmProcessor);
