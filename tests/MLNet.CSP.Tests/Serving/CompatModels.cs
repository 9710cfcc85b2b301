using Microsoft.ML;
using MLNet.CSP.Pipelines;

namespace MLNet.CSP.Tests.Serving;

/// <summary>The small classifier and detector the compatibility fixtures hold (TestData/models/2.0.0), and their images.</summary>
internal static class CompatModels
{
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "TestData", "models", "2.0.0");

    public static string Classifier => Path.Combine(Folder, "classifier.zip");

    public static string Detector => Path.Combine(Folder, "detector.zip");

    /// <summary>The 12 PNG files the models were saved with.</summary>
    public static string[] Images => Enumerable.Range(0, 12).Select(i => Path.Combine(Folder, $"image{i:D2}.png")).ToArray();

    public static T Load<T>(string path) where T : class, ITransformer =>
        CspModel.Find<T>(CspModel.Load(new MLContext(seed: 1), path, out _)) ?? throw new InvalidOperationException($"No {typeof(T).Name} in {path}");
}
