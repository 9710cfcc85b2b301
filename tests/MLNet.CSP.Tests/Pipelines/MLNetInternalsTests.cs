using System.Reflection;
using Microsoft.ML;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace MLNet.CSP.Tests.Pipelines;

/// <summary>
/// The ML.NET internals MLNet.CSP compiles against (src/MLNet.CSP/Pipelines/Internal). If an ML.NET upgrade renames or
/// removes one, this test names it, instead of a MissingMethodException at a user's Model.Save.
/// </summary>
[TestClass]
public sealed class MLNetInternalsTests
{
    private static readonly Assembly Core = typeof(ModelSaveContext).Assembly;
    private static readonly Assembly Data = typeof(TransformsCatalog).Assembly;

    [TestMethod]
    [DataRow("Microsoft.ML.ModelSaveContext", "CheckAtModel")]
    [DataRow("Microsoft.ML.ModelSaveContext", "SetVersionInfo")]
    [DataRow("Microsoft.ML.ModelSaveContext", "SaveBinaryStream")]
    [DataRow("Microsoft.ML.ModelLoadContext", "CheckAtModel")]
    [DataRow("Microsoft.ML.ModelLoadContext", "TryLoadBinaryStream")]
    [DataRow("Microsoft.ML.Data.CatalogUtils", "GetEnvironment")]
    public void UsedInternalMethodsExist(string type, string method)
    {
        var t = Core.GetType(type) ?? Data.GetType(type);
        Assert.IsNotNull(t, $"ML.NET type {type} is gone.");
        Assert.IsTrue(t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static).Any(m => m.Name == method),
            $"ML.NET method {type}.{method} is gone.");
    }

    [TestMethod]
    public void UsedInternalTypesAndConstructorsExist()
    {
        var versionInfo = Core.GetType("Microsoft.ML.VersionInfo");
        Assert.IsNotNull(versionInfo);
        var ctor = versionInfo.GetConstructors(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)
            .SingleOrDefault(c => c.GetParameters().Length == 7);
        Assert.IsNotNull(ctor);
        CollectionAssert.AreEqual(
            new[] { "modelSignature", "verWrittenCur", "verReadableCur", "verWeCanReadBack", "loaderAssemblyName", "loaderSignature", "loaderSignatureAlt" },
            ctor.GetParameters().Select(p => p.Name).ToArray(), "VersionInfo's parameter order changed.");
        Assert.IsNotNull(Core.GetType("Microsoft.ML.LoadableClassAttribute"));
        Assert.IsNotNull(Core.GetType("Microsoft.ML.SignatureLoadModel"));
        Assert.IsNotNull(Core.GetType("Microsoft.ML.Runtime.IHostEnvironmentInternal"));
        var column = typeof(SchemaShape.Column);
        Assert.IsTrue(column.GetConstructors(BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.Instance).Any(c => c.GetParameters().Length == 5),
            "SchemaShape.Column's 5-argument constructor is gone.");
    }

    [TestMethod]
    public void LoaderIsRegisteredForTheComponentCatalog()
    {
        var attributes = typeof(global::MLNet.CSP.Models.Backbone).Assembly.GetCustomAttributes()
            .Where(a => a.GetType().FullName == "Microsoft.ML.LoadableClassAttribute").ToList();
        Assert.IsNotEmpty(attributes, "MLNet.CSP declares no LoadableClass: saved models would not load in a fresh process.");
    }
}
