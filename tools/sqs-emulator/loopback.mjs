// fauxqs always listens on 0.0.0.0; preloaded with --import, this keeps its socket on 127.0.0.1.
import net from "node:net";

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (options, ...rest) {
  return listen.call(this, typeof options === "object" ? { ...options, host: "127.0.0.1" } : options, ...rest);
};
