// hls.js publishes its light build (no subtitles, alternate audio or DRM: all the viewer needs)
// as `hls.js/light` without types of its own; its API is the full build's.
declare module 'hls.js/light' {
  import Hls from 'hls.js';
  export default Hls;
}
