package httpapi

import "net/http"

// restLimits is /limits: a plausible limits document of the org's edition
// (the live org does not meter API calls, so every limit is untouched).
func (s *Server) restLimits(w http.ResponseWriter, v *viewer) {
	daily := 100_000 // Enterprise Edition's base daily API requests
	if v.org.Type == "developer" || v.org.Type == "scratch" {
		daily = 15_000 // Developer Edition's
	}
	out := map[string]map[string]int{}
	for name, max := range map[string]int{
		"ConcurrentAsyncGetReportInstances": 200, "ConcurrentSyncReportRuns": 20, "DailyApiRequests": daily,
		"DailyAsyncApexExecutions": 250_000, "DailyBulkApiBatches": 15_000, "DailyBulkV2QueryFileStorageMB": 976_562,
		"DailyBulkV2QueryJobs": 10_000, "DailyGenericStreamingApiEvents": 10_000, "DailyStreamingApiEvents": 10_000,
		"DailyWorkflowEmails": 2_000, "DataStorageMB": 5, "FileStorageMB": 20, "HourlyAsyncReportRuns": 1_200,
		"HourlyDashboardRefreshes": 200, "HourlyDashboardResults": 5_000, "HourlyDashboardStatuses": 999_999_999,
		"HourlyODataCallout": 10_000, "HourlySyncReportRuns": 500, "HourlyTimeBasedWorkflow": 50, "MassEmail": 10,
		"SingleEmail": 15,
	} {
		out[name] = map[string]int{"Max": max, "Remaining": max}
	}
	writeJSON(w, http.StatusOK, out)
}
