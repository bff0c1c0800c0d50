// <submission-watch assignment="ID">: tells a grader, live, that new work arrived for an assignment.
// A custom element because Blazor's enhanced navigation swaps page content without running page
// scripts; the element's connectedCallback runs whenever the queue page is shown.
(() => {
    let signalrLoading;

    function loadSignalR() {
        if (window.signalR) return Promise.resolve();
        signalrLoading ??= new Promise((resolve, reject) => {
            const script = document.createElement("script");
            script.src = new URL("lib/signalr/signalr.min.js", document.baseURI).href;
            script.onload = resolve;
            script.onerror = () => reject(new Error("could not load the SignalR client"));
            document.head.appendChild(script);
        });
        return signalrLoading;
    }

    class SubmissionWatch extends HTMLElement {
        async connectedCallback() {
            const assignment = this.getAttribute("assignment");
            this.setState("connecting", "Connecting for live updates…");
            try {
                await loadSignalR();
                this.connection = new signalR.HubConnectionBuilder()
                    .withUrl(new URL("hubs/submissions", document.baseURI).href)
                    .withAutomaticReconnect()
                    .build();
                this.connection.on("SubmissionReceived", () => {
                    this.setState("new", "New work arrived: updating the queue…");
                    // The queue is server-rendered: fetch it again (keeps filters, which live in the address).
                    setTimeout(() => location.reload(), 600);
                });
                this.connection.onreconnected(() => this.connection.invoke("WatchAssignment", assignment));
                await this.connection.start();
                await this.connection.invoke("WatchAssignment", assignment);
                this.setState("live", "Live: new submissions appear here as they arrive.");
            } catch (error) {
                this.setState("offline", "Live updates are unavailable; reload the page to see new work.");
                console.warn(error);
            }
        }

        disconnectedCallback() {
            this.connection?.stop();
        }

        setState(state, text) {
            this.dataset.state = state;
            this.textContent = text;
        }
    }

    customElements.define("submission-watch", SubmissionWatch);
})();
