using System.Reflection;
using Microsoft.ML;

namespace MLNet.CSP.Tests.Pipelines;

/// <summary>ML.NET builds a <see cref="SchemaShape"/> from a schema with an internal factory, as its own tests do.</summary>
internal static class SchemaShapes
{
    public static SchemaShape From(DataViewSchema schema) =>
        (SchemaShape)typeof(SchemaShape).GetMethod("Create", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic, [typeof(DataViewSchema)])!
            .Invoke(null, [schema])!;
}
