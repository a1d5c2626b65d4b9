// npm run db:stats: what each collection of the service's database holds and what its indexes
// take, for capacity planning (docs/operations.md). Reads MONGODB_URI and MONGODB_DB as the
// service does; with no MONGODB_URI, the local database on LOCAL_DB_PORT (which must be running,
// e.g. under `npm start`). Only counts and sizes are printed: never a document.
import { MongoClient } from 'mongodb';

const uri = process.env.MONGODB_URI ?? `mongodb://127.0.0.1:${process.env.LOCAL_DB_PORT ?? 27117}/`;
const dbName = process.env.MONGODB_DB ?? 'appointment_webhooks';
const json = process.argv.includes('--json');

const client = await MongoClient.connect(uri, { serverSelectionTimeoutMS: 5000 });
try {
  const db = client.db(dbName);
  const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();
  const rows = [];
  for (const name of names) {
    const stats = await db.command({ collStats: name });
    rows.push({
      collection: name,
      documents: stats.count,
      avgDocumentBytes: Math.round(stats.avgObjSize ?? 0),
      dataBytes: stats.size,
      storageBytes: stats.storageSize,
      indexes: Object.fromEntries(Object.entries(stats.indexSizes ?? {}).map(([index, bytes]) => [index, bytes])),
    });
  }
  if (json) {
    console.log(JSON.stringify({ database: dbName, collections: rows }, null, 2));
  } else {
    const kib = (bytes) => `${(bytes / 1024).toFixed(0)} KiB`;
    console.log(`database ${dbName}`);
    for (const row of rows) {
      console.log(`${row.collection}: ${row.documents} documents, ${row.avgDocumentBytes} bytes each on average, data ${kib(row.dataBytes)}, storage ${kib(row.storageBytes)}`);
      for (const [index, bytes] of Object.entries(row.indexes)) console.log(`  index ${index}: ${kib(bytes)}`);
    }
  }
} finally {
  await client.close();
}
