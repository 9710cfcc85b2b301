using Mono.Cecil;

// Usage: Publicizer <output-directory> <assembly.dll>...
// Writes each assembly to the output directory with all types, methods and fields made public, so that a
// project can compile against members ML.NET keeps internal (its runtime access is granted by
// [assembly: IgnoresAccessChecksTo(...)]). Compiler-generated members are left as they are.
if (args.Length < 2)
{
    Console.Error.WriteLine("Usage: Publicizer <output-directory> <assembly.dll>...");
    return 2;
}
string output = args[0];
Directory.CreateDirectory(output);
foreach (string input in args.Skip(1))
{
    var resolver = new DefaultAssemblyResolver();
    resolver.AddSearchDirectory(Path.GetDirectoryName(Path.GetFullPath(input))!);
    using var assembly = AssemblyDefinition.ReadAssembly(input, new ReaderParameters { AssemblyResolver = resolver });
    int changed = 0;
    foreach (var type in assembly.MainModule.GetTypes())
    {
        if (IsGenerated(type.Name)) continue;
        if (type.IsNested) { if (!type.IsNestedPublic) { type.IsNestedPublic = true; changed++; } }
        else if (!type.IsPublic) { type.IsPublic = true; changed++; }
        foreach (var method in type.Methods)
        {
            if (IsGenerated(method.Name) || method.Name.Contains('.') && !method.IsConstructor) continue; // explicit interface impls
            if (!method.IsPublic) { method.IsPublic = true; changed++; }
        }
        foreach (var field in type.Fields)
        {
            if (IsGenerated(field.Name) || type.Events.Any(e => e.Name == field.Name)) continue;
            if (!field.IsPublic) { field.IsPublic = true; changed++; }
        }
    }
    string target = Path.Combine(output, Path.GetFileName(input));
    assembly.Write(target);
    Console.WriteLine($"Publicized {Path.GetFileName(input)}: {changed} types and members -> {target}");
}
return 0;

static bool IsGenerated(string name) => name.Contains('<') || name.Contains('$');
