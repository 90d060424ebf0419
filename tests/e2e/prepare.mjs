// What a step needs from the steps before it, made through the API when the walk runs that
// step alone (MAILCAST_E2E_STEPS): a list with subscribers, a template, a segment. Each
// function answers ctx.state's entry when an earlier step left one.

function must(answer, what) {
  if (answer.status >= 300) throw new Error(`${what}: ${answer.status} ${answer.text}`);
  return answer.json;
}

// a list with three confirmed subscribers (Spanish, Russian and English names); the import
// step's file (fixtures/subscribers.csv) holds the same three, so later steps find them either way
export async function ensureList(ctx) {
  if (ctx.state.list) return ctx.state.list;
  const list = must(await ctx.api("POST", "/api/v1/lists", { name: "Clientes de prueba", optin: "single" }), "create a list");
  const people = [
    ["lucia@example.com", "Lucía Muñoz", { city: "Sevilla", language: "es" }],
    ["dmitri@example.com", "Дмитрий Орлов", { city: "Москва", language: "ru" }],
    ["grace@example.com", "Grace Hopper", { city: "Arlington", language: "en" }],
  ];
  for (const [email, name, attributes] of people)
    must(await ctx.api("POST", "/api/v1/subscribers", { email, name, attributes, lists: [list.id] }), "create " + email);
  ctx.state.list = { id: list.id, name: list.name };
  return ctx.state.list;
}

// a campaign template on the shipped layout
export async function ensureTemplate(ctx) {
  if (ctx.state.template) return ctx.state.template;
  const body = "{{< layouts/base}}{{$content}}<h1>Hola, {{first_name}}</h1><p>Novedades de diciembre.</p>" +
    '<p><a href="https://shop.example.com/ofertas">Ver ofertas</a></p>{{/content}}{{/layouts/base}}';
  const template = must(await ctx.api("POST", "/api/v1/templates", { name: "Boletín de prueba", kind: "campaign", subject: "Novedades para {{first_name}}", body }), "create a template");
  ctx.state.template = { id: template.id, name: template.name };
  return ctx.state.template;
}

// a segment of the list's subscribers whose city is Sevilla
export async function ensureSegment(ctx) {
  if (ctx.state.segment) return ctx.state.segment;
  const list = await ensureList(ctx);
  const rule = { all: [{ list: list.id }, { field: "attributes.city", op: "eq", value: "Sevilla" }] };
  const segment = must(await ctx.api("POST", "/api/v1/segments", { name: "Sevilla", rule }), "create a segment");
  ctx.state.segment = { id: segment.id, name: segment.name };
  return ctx.state.segment;
}
