// The floor: the cheapest gateway possible. It forwards the original Request over the ORIGIN service
// binding untouched (no header copy, no new Request), so every figure of Isthmus is compared with the
// cost of one service-binding hop and nothing else.
export default {
  fetch(request, env) {
    return env.ORIGIN.fetch(request);
  },
};
