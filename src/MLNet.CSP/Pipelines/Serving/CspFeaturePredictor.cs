using MLNet.CSP.Pipelines.Featurizer;

namespace MLNet.CSP.Pipelines.Serving;

/// <summary>Dynamic-batching feature extraction: each image's pooled backbone features (the featurizer's output column).</summary>
public sealed class CspFeaturePredictor : CspBatchPredictor<float[]>
{
    /// <summary>Starts the scoring thread of <paramref name="featurizer"/> (which this predictor does not dispose).</summary>
    /// <param name="featurizer">The featurizer.</param>
    /// <param name="options">Batch size, delay, threads; defaults when null.</param>
    public CspFeaturePredictor(CspFeaturizerTransformer featurizer, CspBatchPredictorOptions? options = null)
        : base(featurizer, options)
    {
    }

    private protected override float[] Interpret(float[] values, int width, int height) => values;
}
