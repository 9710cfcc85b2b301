using MLNet.CSP.Pipelines.AutoML;

namespace Microsoft.ML;

/// <summary><c>mlContext.CspAutoML()</c>: the entry point of MLNet.CSP's AutoML searches.</summary>
public static class CspAutoMLExtensions
{
    /// <summary>The catalog of time-budgeted searches over CSP image models (like <c>mlContext.Auto()</c>).</summary>
    public static CspAutoMLCatalog CspAutoML(this MLContext mlContext)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        return new CspAutoMLCatalog(mlContext);
    }
}
