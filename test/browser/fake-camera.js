// Page side, shared by the browser harnesses: Chromium's fake camera (the test's y4m clip) playing in a <video>.

/** Opens the fake camera at 640x480, 25 fps, and plays it in a muted inline <video>. */
export async function cameraVideo() {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480, frameRate: 25 } });
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.srcObject = stream;
  await video.play();
  return { video, stream };
}
