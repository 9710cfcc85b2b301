namespace MLNet.CSP.Pipelines.AutoML;

/// <summary>The MLNet.CSP AutoML catalog, <c>mlContext.CspAutoML()</c>: time-budgeted searches over CSP image models.</summary>
public sealed class CspAutoMLCatalog
{
    private readonly MLContext ml;

    internal CspAutoMLCatalog(MLContext ml) => this.ml = ml;

    /// <summary>An image classification search over the given columns with a budget in seconds (other settings default).</summary>
    /// <param name="labelColumnName">Label column (a key, or values <c>MapValueToKey</c> accepts).</param>
    /// <param name="imageColumnName">Image column (<c>LoadImages</c> output or encoded bytes).</param>
    /// <param name="trainingTimeInSeconds">Wall-clock budget of the search.</param>
    public CspImageClassificationExperiment CreateImageClassificationExperiment(string labelColumnName = CspDefaults.LabelColumnName,
        string imageColumnName = CspDefaults.ImageColumnName, uint trainingTimeInSeconds = CspDefaults.SearchTimeInSeconds) =>
        CreateImageClassificationExperiment(new CspImageClassificationExperimentOptions
        {
            LabelColumnName = labelColumnName,
            ImageColumnName = imageColumnName,
            TrainingTimeInSeconds = trainingTimeInSeconds,
        });

    /// <summary>An image classification search configured by <paramref name="options"/>.</summary>
    public CspImageClassificationExperiment CreateImageClassificationExperiment(CspImageClassificationExperimentOptions options) =>
        new(ml, options);
}
