namespace MLNet.CSP.Pipelines.AutoML;

/// <summary>The ML.NET trainer fitted on frozen CSP features in the search's first stage.</summary>
public enum CspHeadTrainer
{
    /// <summary><c>MulticlassClassification.Trainers.LbfgsMaximumEntropy</c>.</summary>
    LbfgsMaximumEntropy,
    /// <summary><c>MulticlassClassification.Trainers.SdcaMaximumEntropy</c>.</summary>
    SdcaMaximumEntropy,
    /// <summary><c>MulticlassClassification.Trainers.LightGbm</c> (Microsoft.ML.LightGbm).</summary>
    LightGbm,
    /// <summary>One-versus-all <c>BinaryClassification.Trainers.FastTree</c> (Microsoft.ML.FastTree).</summary>
    FastTree,
}
