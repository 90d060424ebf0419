// Writes the per-recipient data every engine renders with: COUNT recipients (default 100)
// whose names, addresses, flags and product picks differ, so no engine can reuse a result.
// Usage: node recipients.js OUT.json [COUNT]
'use strict';
const fs = require('fs');

const firstNames = ['Ana', 'Zoë', 'Jürgen', 'Søren', 'Élodie', 'Tom & Jerry', 'Ми́ла', 'Kenji', 'Aoife', 'Noor'];
const products = ['Linen shirt', 'Wool scarf', 'Canvas tote', 'Cotton socks', 'Denim jacket', 'Silk tie', 'Rain coat', 'Leather belt'];

const recipients = [];
const count = Number(process.argv[3] || 100);
for (let i = 0; i < count; i++) {
  const items = [];
  for (let k = 0; k < 5; k++) {
    const p = (i + k * 3) % products.length;
    items.push({
      title: products[p] + ' <' + (k + 1) + '>',
      description: 'Made in small batches; size ' + (36 + ((i + k) % 10)) + ', colour no. ' + ((i * 7 + k) % 40),
      price: (19 + ((i * 13 + k * 7) % 180)) + '.' + String((i + k) % 100).padStart(2, '0'),
      url: 'https://shop.example.com/p/' + (1000 + p) + '?utm_source=newsletter&r=' + i,
      image_url: 'https://cdn.example.com/img/' + (1000 + p) + '.jpg',
    });
  }
  recipients.push({
    subject: 'Spring picks for you, ' + firstNames[i % firstNames.length],
    preheader: 'Five new things and ' + (i % 5 + 10) + '% off for loyal customers',
    first_name: firstNames[i % firstNames.length],
    email: 'user' + i + '@example.org',
    last_visit_month: ['January', 'February', 'March'][i % 3],
    is_vip: i % 3 === 0,
    member_since: 2015 + (i % 9),
    vip_discount: 10 + (i % 5),
    vip_code: 'VIP' + (100000 + i * 7),
    items: items,
    points: (i * 37) % 5000,
    points_value: ((i * 37) % 5000 / 100).toFixed(2),
    points_expiry: '2025-0' + (1 + (i % 9)) + '-28',
    cta_url: 'https://shop.example.com/spring?r=' + i,
    stylist: ['Inès', 'Marco', 'Hana'][i % 3],
    unsubscribe_url: 'https://mail.example.com/u/' + (i * 2654435761 % 4294967296).toString(16),
    preferences_url: 'https://mail.example.com/p/' + (i * 40503 % 65536).toString(16),
    shop: {
      name: 'Atelier Nord & Co',
      address: 'Kastanienallee 12, 10435 Berlin, Germany',
      city: 'Berlin',
      logo_url: 'https://cdn.example.com/logo.png',
    },
  });
}
fs.writeFileSync(process.argv[2], JSON.stringify(recipients));
