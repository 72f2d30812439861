export async function run(argv: string[]): Promise<number> { console.log(argv); return 0; }
