using MLNet.CSP.Pipelines.Classification;
using MLNet.CSP.Pipelines.Detection;
using MLNet.CSP.Pipelines.Featurizer;

// ML.NET records this assembly's name in every saved model and registers it on load, so these loaders are found
// in a fresh process without any registration call.
[assembly: LoadableClass(typeof(CspFeaturizerTransformer), typeof(ModelLoaders.Featurizer), null, typeof(SignatureLoadModel),
    "CSP Featurizer", FeaturizerPersistence.LoaderSignature)]
[assembly: LoadableClass(typeof(CspImageClassificationTransformer), typeof(ModelLoaders.Classifier), null, typeof(SignatureLoadModel),
    "CSP Image Classifier", ClassifierPersistence.LoaderSignature)]
[assembly: LoadableClass(typeof(CspObjectDetectionTransformer), typeof(ModelLoaders.Detector), null, typeof(SignatureLoadModel),
    "CSP Object Detector", DetectorPersistence.LoaderSignature)]

namespace MLNet.CSP.Pipelines.Internal;

/// <summary>Entry points that ML.NET's component catalog calls to load saved MLNet.CSP transformers.</summary>
internal static class ModelLoaders
{
    /// <summary>Loader of <see cref="CspFeaturizerTransformer"/>.</summary>
    public static class Featurizer
    {
        public static CspFeaturizerTransformer Create(IHostEnvironment env, ModelLoadContext ctx) => FeaturizerPersistence.Load(env, ctx);
    }

    /// <summary>Loader of <see cref="CspImageClassificationTransformer"/>.</summary>
    public static class Classifier
    {
        public static CspImageClassificationTransformer Create(IHostEnvironment env, ModelLoadContext ctx) => ClassifierPersistence.Load(env, ctx);
    }

    /// <summary>Loader of <see cref="CspObjectDetectionTransformer"/>.</summary>
    public static class Detector
    {
        public static CspObjectDetectionTransformer Create(IHostEnvironment env, ModelLoadContext ctx) => DetectorPersistence.Load(env, ctx);
    }
}
