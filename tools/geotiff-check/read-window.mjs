// Reads a pixel window of a GeoTIFF through HTTP Range requests with
// geotiff.js `fromUrl`, the way a browser client reads canopy tiles through
// the API's Range proxy, and prints what it read as JSON.
//
//   node read-window.mjs <url> <left> <top> <right> <bottom>
//
// Prints {"width", "height", "imageWidth", "imageHeight", "bbox", "origin",
// "resolution", "values"} where `values` is the window row by row.
import { fromUrl } from "geotiff";

const [url, ...edges] = process.argv.slice(2);
if (!url || edges.length !== 4) {
  console.error("usage: node read-window.mjs <url> <left> <top> <right> <bottom>");
  process.exit(2);
}
const window = edges.map((value) => Number.parseInt(value, 10));

const tiff = await fromUrl(url, { allowFullFile: false });
const image = await tiff.getImage();
const [band] = await image.readRasters({ window, interleave: false });
const width = window[2] - window[0];
const height = window[3] - window[1];
const values = [];
for (let row = 0; row < height; row += 1) {
  values.push(Array.from(band.slice(row * width, (row + 1) * width)));
}
console.log(
  JSON.stringify({
    width,
    height,
    imageWidth: image.getWidth(),
    imageHeight: image.getHeight(),
    bbox: image.getBoundingBox(),
    origin: image.getOrigin(),
    resolution: image.getResolution(),
    values,
  }),
);
