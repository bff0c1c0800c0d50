// The lab disk's browser storage: one IndexedDB database per portal origin with two stores.
//   chunks  - image chunks by SHA-256, shared by every lab and student on this browser (a cache:
//             the reader verifies what it gets back, and the browser may evict it)
//   overlay - each student's changed blocks per assignment, keyed [labKey, blockIndex]
// Errors keep their DOM name (QuotaExceededError) so the page can tell a full disk from a fault.
const DB_NAME = "webvm-disk";
let opening;

function db() {
    opening ??= new Promise((resolve, reject) => {
        const request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = () => {
            const d = request.result;
            d.createObjectStore("chunks");
            d.createObjectStore("overlay");
        };
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => { opening = undefined; reject(named(request.error)); };
        request.onblocked = () => reject(new Error("The lab's storage is open in an older tab; close it and reload."));
    });
    return opening;
}

function named(error) {
    const e = new Error(`${error?.name ?? "Error"}: ${error?.message ?? error}`);
    e.name = error?.name ?? "Error";
    return e;
}

async function run(storeName, mode, work) {
    const d = await db();
    return new Promise((resolve, reject) => {
        const tx = d.transaction(storeName, mode);
        let result;
        const request = work(tx.objectStore(storeName));
        if (request) request.onsuccess = () => { result = request.result; };
        tx.oncomplete = () => resolve(result);
        // A write that does not fit fails on the transaction (QuotaExceededError), not on the request.
        tx.onabort = () => reject(named(tx.error ?? request?.error));
        tx.onerror = () => reject(named(tx.error ?? request?.error));
    });
}

const bytes = value => value == null ? null : new Uint8Array(value);

export const chunkGet = hash => run("chunks", "readonly", s => s.get(hash)).then(bytes);
export const chunkPut = (hash, data) => run("chunks", "readwrite", s => s.put(data.slice(), hash));

export const overlayGet = (lab, block) => run("overlay", "readonly", s => s.get([lab, block])).then(bytes);
export const overlayPut = (lab, block, data) => run("overlay", "readwrite", s => s.put(data.slice(), [lab, block]));
export async function overlayBlocks(lab) {
    const keys = await run("overlay", "readonly", s => s.getAllKeys(IDBKeyRange.bound([lab, -Infinity], [lab, Infinity])));
    return keys.map(k => k[1]);
}
export const overlayClear = lab => run("overlay", "readwrite", s => s.delete(IDBKeyRange.bound([lab, -Infinity], [lab, Infinity])));

/** What the browser says this site may store, for the page to show before it is full. */
export async function estimate() {
    const e = await navigator.storage?.estimate?.();
    return { usage: e?.usage ?? 0, quota: e?.quota ?? 0 };
}
