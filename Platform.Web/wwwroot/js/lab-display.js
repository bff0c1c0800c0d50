// The lab machine's screen (Vm.Client/Display/LabDisplay): draws bands of RGBA rows the engine
// sends into a canvas, and sends the canvas's keys (by physical key, KeyboardEvent.code) and
// pointer (as a fraction of the screen) back to .NET.
const displays = new Map();
let nextDisplay = 1;

export function openDisplay(canvas, dotnet) {
    const ctx = canvas.getContext("2d", { alpha: false });
    const d = { canvas, ctx, dotnet, listeners: [] };
    const on = (type, handler) => { canvas.addEventListener(type, handler); d.listeners.push([type, handler]); };
    const key = down => e => {
        // Every key goes to the machine (Tab, Ctrl+W...), as in a remote desktop, while the canvas has focus.
        e.preventDefault();
        dotnet.invokeMethod("OnKey", e.code, down);
    };
    on("keydown", key(true));
    on("keyup", key(false));
    on("blur", () => dotnet.invokeMethod("OnBlur"));
    const pointer = e => {
        const r = canvas.getBoundingClientRect();
        if (r.width === 0 || r.height === 0) return;
        dotnet.invokeMethod("OnPointer", (e.clientX - r.left) / r.width, (e.clientY - r.top) / r.height, e.buttons);
    };
    on("pointermove", pointer);
    on("pointerdown", e => { canvas.focus(); pointer(e); e.preventDefault(); });
    on("pointerup", pointer);
    on("contextmenu", e => e.preventDefault());
    const id = nextDisplay++;
    displays.set(id, d);
    return id;
}

export function resizeDisplay(id, width, height) {
    const d = displays.get(id);
    if (!d) return;
    d.canvas.width = width;
    d.canvas.height = height;
}

export function drawBand(id, y, height, rgba) {
    const d = displays.get(id);
    if (!d) return;
    const pixels = new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, rgba.byteLength);
    d.ctx.putImageData(new ImageData(pixels, d.canvas.width, height), 0, y);
}

/** Records on the canvas how many frames have been painted (tests wait for a paint after a change). */
export function markPainted(id, frames) {
    displays.get(id)?.canvas.setAttribute("data-frames", String(frames));
}

export function focusDisplay(id) {
    displays.get(id)?.canvas.focus();
}

export function closeDisplay(id) {
    const d = displays.get(id);
    if (!d) return;
    for (const [type, handler] of d.listeners) d.canvas.removeEventListener(type, handler);
    displays.delete(id);
}
