// Starts fauxqs as its dist/server.js does, except that FAUXQS_LOGGER=false switches off its log of every
// request (server.js always logs): the benchmark runs it unlogged, so that the emulator's CPU is SQS work.
import { startFauxqs } from "fauxqs";

const dataDir = process.env.FAUXQS_DATA_DIR;
startFauxqs({
  logger: process.env.FAUXQS_LOGGER !== "false",
  ...(dataDir && process.env.FAUXQS_PERSISTENCE === "true" ? { dataDir } : {}),
});
