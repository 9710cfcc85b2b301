using MLNet.CSP.Pipelines.Classification;

namespace MLNet.CSP.Pipelines.Serving;

/// <summary>Dynamic-batching scoring of a trained classifier: class probabilities of each image, named, best first.</summary>
public sealed class CspClassificationPredictor : CspBatchPredictor<CspClassPrediction>
{
    private readonly IReadOnlyList<string>? names;

    /// <summary>Starts the scoring thread of <paramref name="classifier"/> (which this predictor does not dispose).</summary>
    /// <param name="classifier">The trained classifier (e.g. found in a loaded model with <see cref="CspModel.Find{T}"/>).</param>
    /// <param name="options">Batch size, delay, threads; defaults when null.</param>
    public CspClassificationPredictor(CspImageClassificationTransformer classifier, CspBatchPredictorOptions? options = null)
        : base(classifier, options) => names = classifier.ClassNames;

    private protected override CspClassPrediction Interpret(float[] values, int width, int height) => new(values, names);
}
