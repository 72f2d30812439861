// The digit canvas: draw with the mouse (or a finger), and get the drawing as MNIST sees
// digits: 28x28, white on black, the ink scaled to fit a 20x20 box and centred by its centre
// of mass, as the MNIST digits were prepared.

export class DigitCanvas {
  private readonly context: CanvasRenderingContext2D;
  private drawing = false;
  private last: { x: number; y: number } | null = null;

  constructor(
    readonly canvas: HTMLCanvasElement,
    private readonly onDraw: (pixels: Float32Array) => void,
  ) {
    this.context = canvas.getContext("2d", { willReadFrequently: true })!;
    this.clear();
    canvas.addEventListener("pointerdown", (e) => {
      this.drawing = true;
      canvas.setPointerCapture(e.pointerId);
      this.stroke(e);
    });
    canvas.addEventListener("pointermove", (e) => {
      if (this.drawing) this.stroke(e);
    });
    const stop = () => {
      this.drawing = false;
      this.last = null;
    };
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
  }

  clear(): void {
    this.context.fillStyle = "#000";
    this.context.fillRect(0, 0, this.canvas.width, this.canvas.height);
  }

  private stroke(event: PointerEvent): void {
    const box = this.canvas.getBoundingClientRect();
    const x = ((event.clientX - box.left) / box.width) * this.canvas.width;
    const y = ((event.clientY - box.top) / box.height) * this.canvas.height;
    const c = this.context;
    c.strokeStyle = "#fff";
    c.fillStyle = "#fff";
    c.lineWidth = this.canvas.width / 12;
    c.lineCap = "round";
    c.lineJoin = "round";
    c.beginPath();
    if (this.last === null) {
      c.arc(x, y, c.lineWidth / 2, 0, 2 * Math.PI);
      c.fill();
    } else {
      c.moveTo(this.last.x, this.last.y);
      c.lineTo(x, y);
      c.stroke();
    }
    this.last = { x, y };
    this.onDraw(this.pixels());
  }

  /** The drawing as 784 values in [0, 1], MNIST-style. */
  pixels(): Float32Array {
    const { width, height } = this.canvas;
    const image = this.context.getImageData(0, 0, width, height).data;
    let top = height;
    let bottom = -1;
    let left = width;
    let right = -1;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (image[(y * width + x) * 4]! > 20) {
          top = Math.min(top, y);
          bottom = Math.max(bottom, y);
          left = Math.min(left, x);
          right = Math.max(right, x);
        }
      }
    }
    const out = new Float32Array(784);
    if (bottom < 0) return out;
    // The ink's bounding box, scaled to fit 20x20 and drawn onto a 28x28 canvas.
    const side = Math.max(bottom - top + 1, right - left + 1);
    const scale = 20 / side;
    const small = document.createElement("canvas");
    small.width = 28;
    small.height = 28;
    const s = small.getContext("2d", { willReadFrequently: true })!;
    s.fillStyle = "#000";
    s.fillRect(0, 0, 28, 28);
    s.imageSmoothingQuality = "high";
    const w = (right - left + 1) * scale;
    const h = (bottom - top + 1) * scale;
    s.drawImage(this.canvas, left, top, right - left + 1, bottom - top + 1, (28 - w) / 2, (28 - h) / 2, w, h);
    const data = s.getImageData(0, 0, 28, 28).data;
    const grey = new Float32Array(784);
    let mass = 0;
    let cx = 0;
    let cy = 0;
    for (let i = 0; i < 784; i++) {
      const v = data[i * 4]! / 255;
      grey[i] = v;
      mass += v;
      cx += v * (i % 28);
      cy += v * Math.floor(i / 28);
    }
    // Shift so that the centre of mass sits at the image's centre.
    const dx = Math.round(13.5 - cx / mass);
    const dy = Math.round(13.5 - cy / mass);
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        const sx = x - dx;
        const sy = y - dy;
        if (sx >= 0 && sx < 28 && sy >= 0 && sy < 28) out[y * 28 + x] = grey[sy * 28 + sx]!;
      }
    }
    return out;
  }
}

/** Paints 784 bytes as a 28x28 grey image onto a small canvas. */
export function digitImage(pixels: Uint8Array, size = 56): HTMLCanvasElement {
  const canvas = document.createElement("canvas");
  canvas.width = 28;
  canvas.height = 28;
  canvas.style.width = `${size}px`;
  canvas.style.height = `${size}px`;
  const context = canvas.getContext("2d")!;
  const image = context.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    image.data[i * 4] = image.data[i * 4 + 1] = image.data[i * 4 + 2] = pixels[i]!;
    image.data[i * 4 + 3] = 255;
  }
  context.putImageData(image, 0, 0);
  return canvas;
}
