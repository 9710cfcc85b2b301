namespace MLNet.CSP.Pipelines.Serving;

/// <summary>What a <see cref="CspBatchPredictor{TResult}"/> has computed so far.</summary>
/// <param name="Images">Images scored.</param>
/// <param name="Batches">Forward passes run.</param>
/// <param name="LargestBatch">Most images one forward pass took.</param>
public readonly record struct CspBatchPredictorStatistics(long Images, long Batches, int LargestBatch)
{
    /// <summary>Images per forward pass on average (0 before the first).</summary>
    public double MeanBatchSize => Batches == 0 ? 0 : (double)Images / Batches;
}
