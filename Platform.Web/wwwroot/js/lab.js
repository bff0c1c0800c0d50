// The lab page's browser side: the terminal (xterm.js), yielding to the browser between engine
// slices, and the IndexedDB stores of the in-browser disk. Vm.Client (C#) drives all of it.
import { Terminal } from "../lib/xterm/xterm.mjs";
import { FitAddon } from "../lib/xterm/addon-fit.mjs";

const terminals = new Map();
let nextTerminal = 1;

/** Opens a terminal in `host`; keys, pastes and size changes go to `dotnet` (a DotNetObjectReference). */
export function openTerminal(host, dotnet) {
    const term = new Terminal({
        cursorBlink: true,
        fontFamily: "ui-monospace, 'DejaVu Sans Mono', monospace",
        fontSize: 14,
        scrollback: 5000,
        theme: { background: "#10141a" },
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(host);
    fit.fit();
    term.onData(data => dotnet.invokeMethod("OnTerminalInput", data));
    term.onResize(size => dotnet.invokeMethod("OnTerminalResize", size.cols, size.rows));
    // Copy: a selection is copied to the clipboard as it is made (as in most terminals); Ctrl+Shift+C too.
    term.onSelectionChange(() => {
        const text = term.getSelection();
        if (text && navigator.clipboard) navigator.clipboard.writeText(text).catch(() => { });
    });
    term.attachCustomKeyEventHandler(e => {
        if (e.type === "keydown" && e.ctrlKey && e.shiftKey && e.code === "KeyC") {
            const text = term.getSelection();
            if (text && navigator.clipboard) navigator.clipboard.writeText(text).catch(() => { });
            return false;
        }
        return true;
    });
    const observer = new ResizeObserver(() => fit.fit());
    observer.observe(host);
    const id = nextTerminal++;
    terminals.set(id, { term, observer });
    dotnet.invokeMethod("OnTerminalResize", term.cols, term.rows);
    return id;
}

export function writeTerminal(id, bytes) {
    terminals.get(id)?.term.write(bytes);
}

export function focusTerminal(id) {
    terminals.get(id)?.term.focus();
}

export function closeTerminal(id) {
    const t = terminals.get(id);
    if (!t) return;
    t.observer.disconnect();
    t.term.dispose();
    terminals.delete(id);
}

// A message to ourselves runs after the browser has handled pending input and painting, without
// the 4 ms minimum that nested setTimeout calls get.
const channel = new MessageChannel();
const waiting = [];
channel.port1.onmessage = () => waiting.shift()?.();

export function nextTick() {
    return new Promise(resolve => { waiting.push(resolve); channel.port2.postMessage(0); });
}

export function sleep(ms) {
    return new Promise(resolve => setTimeout(resolve, ms));
}

/** Saves bytes as a file the student downloads. */
export function download(name, bytes) {
    const url = URL.createObjectURL(new Blob([bytes]));
    const a = document.createElement("a");
    a.href = url;
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
}
