import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT, readRepoFile } from './doc-text.js';

// Every symbol a package entry point exports (values, classes, functions, types, interfaces) has a
// TSDoc comment: the entry points are read from package.json `exports`, the exports walked with the
// compiler, through re-exports to the declaration.

/** The source file of each entry point: `./dist/server/index.js` → `src/server/index.ts`. */
function entryFiles(): string[] {
  const exports = (JSON.parse(readRepoFile('package.json')) as { exports: Record<string, string | Record<string, string>> }).exports;
  const targets = Object.values(exports).flatMap((e) => (typeof e === 'string' ? [e] : Object.entries(e).filter(([k]) => k !== 'types').map(([, v]) => v)));
  const sources = targets.filter((t) => t.startsWith('./dist/')).map((t) => t.replace('./dist/', 'src/').replace(/\.js$/, '.ts'));
  return [...new Set(sources)];
}

/** Whether a declaration carries a `/** … *\/` comment (a variable's may sit on its statement). */
function hasTsdoc(decl: ts.Declaration): boolean {
  const node = ts.isVariableDeclaration(decl) ? decl.parent.parent : decl;
  return ts.getJSDocCommentsAndTags(decl).length > 0 || ts.getJSDocCommentsAndTags(node as ts.Declaration).length > 0;
}

/** Whether a class or interface member is part of the public surface (not private, protected or `#`). */
function isPublicMember(member: ts.ClassElement | ts.TypeElement): boolean {
  if (member.name && ts.isPrivateIdentifier(member.name)) return false;
  if (ts.isConstructorDeclaration(member) || ts.isIndexSignatureDeclaration(member) || ts.isClassStaticBlockDeclaration(member)) return false;
  const flags = ts.canHaveModifiers(member) ? ts.getCombinedModifierFlags(member as ts.Declaration) : 0;
  return (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) === 0;
}

/** `Owner.member (file)` for each public member of an exported class or interface without TSDoc. */
function undocumentedMembers(decl: ts.Declaration, owner: string): string[] {
  if (!ts.isClassDeclaration(decl) && !ts.isInterfaceDeclaration(decl)) return [];
  const members: readonly (ts.ClassElement | ts.TypeElement)[] = decl.members;
  const file = decl.getSourceFile().fileName.slice(ROOT.length);
  return members.filter((m) => isPublicMember(m) && !hasTsdoc(m)).map((m) => `${owner}.${m.name?.getText() ?? '?'} (${file})`);
}

/** `Owner.option (file)` for each optional member of an exported `…Options` interface whose TSDoc states no default. */
function optionsWithoutDefault(decl: ts.Declaration, owner: string): string[] {
  if (!ts.isInterfaceDeclaration(decl) || !owner.endsWith('Options')) return [];
  const file = decl.getSourceFile().fileName.slice(ROOT.length);
  const stated = (m: ts.TypeElement): boolean => ts.getJSDocCommentsAndTags(m).some((d) => /\bDefault\b/.test(d.getText()));
  return decl.members.filter((m) => m.questionToken !== undefined && !stated(m)).map((m) => `${owner}.${m.name?.getText() ?? '?'} (${file})`);
}

/** The exports of every entry point, each with its declarations. */
function exportedDeclarations(): { name: string; decls: ts.Declaration[] }[] {
  const entries = entryFiles();
  const program = ts.createProgram(entries.map((e) => ROOT + e), { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, noEmit: true, skipLibCheck: true });
  const checker = program.getTypeChecker();
  const out: { name: string; decls: ts.Declaration[] }[] = [];
  for (const entry of entries) {
    const source = program.getSourceFile(ROOT + entry);
    const moduleSymbol = source && checker.getSymbolAtLocation(source);
    if (!moduleSymbol) throw new Error(`entry point ${entry} not found`);
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      out.push({ name: exported.name, decls: symbol.declarations ?? [] });
    }
  }
  return out;
}

const exported = exportedDeclarations();

describe('TSDoc on every exported symbol', () => {
  it('finds the entry points of package.json', () => {
    expect(entryFiles()).toContain('src/index.ts');
  });

  it('every symbol exported from an entry point has a TSDoc comment', () => {
    const missing = exported.filter((e) => e.decls.length > 0 && !e.decls.some(hasTsdoc)).map((e) => `${e.name} (${(e.decls[0] as ts.Declaration).getSourceFile().fileName.slice(ROOT.length)})`);
    expect([...new Set(missing)].sort(), 'exported without TSDoc: add a /** … */ comment (what it is, why, its default) at the declaration').toEqual([]);
  });

  it('every public member of an exported class or interface has a TSDoc comment', () => {
    const missing = [...new Set(exported.flatMap((e) => e.decls.flatMap((d) => undocumentedMembers(d, e.name))))].sort();
    expect(missing, 'public members without TSDoc: add a /** … */ comment (what it is, why, its default)').toEqual([]);
  });

  it('every optional member of an exported …Options interface states its default', () => {
    const missing = [...new Set(exported.flatMap((e) => e.decls.flatMap((d) => optionsWithoutDefault(d, e.name))))].sort();
    expect(missing, 'options whose TSDoc has no "Default …": say what happens when it is not given').toEqual([]);
  });
});
