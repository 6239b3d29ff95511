// The origin under test: a fixed 1 KiB text/plain body (Istio's published figures use a 1 KB payload).
const BODY = "x".repeat(1023) + "\n";

export default {
  fetch() {
    return new Response(BODY, { headers: { "content-type": "text/plain" } });
  },
};
