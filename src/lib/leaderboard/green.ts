/**
 * The green score's units and sources. Runners measure energy by sampling `nvidia-smi` power draw during a task
 * (runner/src/gpu.ts), or compute it from the GPU watts their owner declares (`--gpu-watts`), marked as declared.
 * CO2 is an estimate: energy times a grid's carbon intensity (GRID_G_CO2_PER_KWH on the server).
 */
export const DEFAULT_GRID_G_CO2_PER_KWH = 480;
export const GRID_SOURCE =
  "World average carbon intensity of electricity generation, 2023: 480 g CO2/kWh (Ember, Global Electricity Review 2024)";

export function formatWh(wh: number): string {
  if (wh >= 1000) return `${(wh / 1000).toFixed(2)} kWh`;
  if (wh >= 10) return `${wh.toFixed(1)} Wh`;
  if (wh >= 0.01) return `${wh.toFixed(2)} Wh`;
  return `${(wh * 1000).toFixed(1)} mWh`;
}

export function formatGrams(grams: number): string {
  if (grams >= 1000) return `${(grams / 1000).toFixed(2)} kg`;
  if (grams >= 1) return `${grams.toFixed(1)} g`;
  return `${(grams * 1000).toFixed(0)} mg`;
}
