// Replaced by the database-backed global setup once the foundation lands.
export default async function setup(): Promise<void> {}
