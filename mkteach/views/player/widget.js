// The anywidget front end: the player drawn from the widget's `data`, following its `step`.
// Returns the cleanup anywidget calls when the view goes away.
import { render } from "./render.js";

export default {
  render({ model, el }) {
    el.id = el.id || "mkp-" + Math.random().toString(36).slice(2);
    const player = render(el, model.get("data"), model);
    const onData = () => player.update(model.get("data"), model.get("step"));
    const onStep = () => player.moved(model.get("step"));
    const onMessage = (msg) => msg && msg.note && player.note(msg.note);
    model.on("change:data", onData);
    model.on("change:step", onStep);
    model.on("msg:custom", onMessage);
    return () => {
      model.off("change:data", onData);
      model.off("change:step", onStep);
      model.off("msg:custom", onMessage);
      player.cleanup();
    };
  },
};
