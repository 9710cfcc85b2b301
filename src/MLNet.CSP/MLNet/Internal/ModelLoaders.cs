using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNet.CSP.MLNet.Featurizer;
using MLNet.CSP.MLNet.Internal;

// ML.NET records this assembly's name in every saved model and registers it on load, so these loaders are found
// in a fresh process without any registration call.
[assembly: LoadableClass(typeof(CspFeaturizerTransformer), typeof(ModelLoaders.Featurizer), null, typeof(SignatureLoadModel),
    "CSP Featurizer", FeaturizerPersistence.LoaderSignature)]

namespace MLNet.CSP.MLNet.Internal;

/// <summary>Entry points that ML.NET's component catalog calls to load saved MLNet.CSP transformers.</summary>
internal static class ModelLoaders
{
    /// <summary>Loader of <see cref="CspFeaturizerTransformer"/>.</summary>
    public static class Featurizer
    {
        public static CspFeaturizerTransformer Create(IHostEnvironment env, ModelLoadContext ctx) => FeaturizerPersistence.Load(env, ctx);
    }
}
