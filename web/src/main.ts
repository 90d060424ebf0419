import { createApp } from "vue";
import App from "./App.vue";
import { router } from "./router";
import { whenUnauthorized } from "./api/client";
import { forget } from "./session";
import "./style.css";

whenUnauthorized(() => {
  forget();
  if (router.currentRoute.value.name !== "login") void router.push({ name: "login" });
});

createApp(App).use(router).mount("#app");
