/**
 * Setup file of the vitest project `isthmus` (vitest.config.ts): runs before each of its test files, in
 * the workerd runtime the file shares with the files before it, and starts the file from a fresh mesh
 * (test/helpers/fresh-mesh.ts says what that resets; test/fresh-mesh.test.ts checks it).
 */
import { freshMesh } from "./helpers/fresh-mesh.js";

await freshMesh();
